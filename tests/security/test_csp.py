"""The Content-Security-Policy (django-csp) is sent, and the pages it covers need nothing it
forbids: no inline script without the request's nonce, no inline style, no event-handler attribute.
Walks the admin, the dashboard, reconciliation, the two-factor pages and every sandbox page
linked from the sandbox start page, in the `make run` set-up."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from integrations.setup import setup_run

pytestmark = pytest.mark.django_db
STARTS = ["/admin/", "/monitoring/dashboard/", "/integrations/reconcile/", "/security/2fa/enrol/", "/sandbox/",
          "/admin/login/"]
WALK = ("/admin/", "/sandbox/", "/monitoring/", "/integrations/")
PER_SECTION = 40  # pages walked under each of WALK
AVOID = re.compile(r"/logout|/delete/|/oauth|/authorize|/token|/revoke|/connect|/run/|/resync/|/ping")


class PageParts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.problems, self.nonces = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs.items())[:120]}>"
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.nonces.append((where, attrs.get("nonce")))
        if tag == "style":
            self.nonces.append((where, attrs.get("nonce")))
        for name, value in attrs.items():
            if name == "style":
                self.problems.append(f"inline style attribute: {where}")
            if name.startswith("on"):
                self.problems.append(f"event-handler attribute: {where}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL: {where}")


@pytest.fixture
def make_run_state(monkeypatch):
    monkeypatch.setenv("LEDGERLINK_ADMIN_USER", "admin")
    monkeypatch.setenv("LEDGERLINK_ADMIN_PASSWORD", "csp-test-pw")
    setup_run(write=lambda line: None)


def test_the_policy_forbids_inline_script_and_style():
    from django.conf import settings

    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for directive in ("default-src", "script-src", "style-src", "img-src"):
        assert "'unsafe-inline'" not in directives[directive] and "'unsafe-eval'" not in directives[directive]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]


def test_every_page_has_the_header_and_needs_nothing_it_forbids(client, make_run_state, django_user_model):
    client.force_login(django_user_model.objects.get(username="admin"))
    seen, queue, problems = set(), list(STARTS), []
    while queue:
        path = queue.pop(0)
        section = path.split("/")[1]
        if path in seen or len([p for p in seen if p.split("/")[1] == section]) >= PER_SECTION:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        header = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in header and "default-src 'self'" in header, path
        page = PageParts()
        page.feed(response.content.decode())
        problems += [f"{path}: {p}" for p in page.problems]
        nonce = re.search(r"'nonce-([^']+)'", header)
        problems += [f"{path}: inline element without this response's nonce: {where}"
                     for where, value in page.nonces if not nonce or value != nonce.group(1)]
        for href in page.links:
            target = urljoin(path, urldefrag(href)[0])
            if urlsplit(target).netloc or not target.startswith(WALK) or AVOID.search(target):
                continue
            queue.append(target)
    assert not problems, "\n".join(problems)
    walked = {p.split("/")[1] for p in seen}
    assert {"admin", "sandbox", "monitoring", "integrations", "security"} <= walked
    assert len([p for p in seen if p.startswith("/sandbox/")]) >= 8 and len(seen) >= 60
