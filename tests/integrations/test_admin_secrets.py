"""Secrets are never rendered, to anyone, in any mode: a known canary in every field that holds
one (every connection secret, the alert rule's chat webhook URL, social-auth's tokens and
association secret), then every admin page — changelist, add, change, history and delete
confirmation of every registered ModelAdmin, and every custom staff page — as a superuser, an
Integration admin and Finance staff (who sees read-only pages, where Django renders values)."""
from __future__ import annotations

import base64

import pytest
from django.contrib import admin
from django.urls import reverse

from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from tests.integrations.staff_dataset import CANARY, TOTP_KEY_HEX, dataset_build, users
from tests.integrations.test_staff_permissions import MODEL_PAGES, PAGES, _request, _url_args

pytestmark = pytest.mark.django_db


def _admin_pages(data, superuser) -> list[str]:
    urls = []
    for model, model_admin in admin.site._registry.items():
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{base}_changelist"))
        urls.append(reverse(f"{base}_add"))
        for obj in model_admin.get_queryset(_request(superuser)):
            urls += [reverse(f"{base}_{page}", args=[obj.pk]) for page in MODEL_PAGES if page not in ("changelist", "add")]
    for name, (method, *_) in PAGES.items():
        if method != "GET" or name in ("admin:app_list", "admin:view_on_site"):
            continue
        backends = ("freshbooks", "salesforce-simulator-connect") if name.startswith("social:") else ("",)
        urls += [reverse(name, kwargs=_url_args(name, data, backend)) for backend in backends]
    urls += [reverse("admin:app_list", args=[app]) for app in {m._meta.app_label for m in admin.site._registry}]
    return urls


@pytest.mark.parametrize("who", ["superuser", ADMIN_GROUP, FINANCE_GROUP])
def test_no_page_renders_a_secret(client, django_user_model, who):
    people = users(django_user_model)
    data = dataset_build(owner=people["superuser"])
    ciphertexts = [c.secrets_encrypted for c in (data["freshbooks"], data["salesforce"], data["infor"])]
    ciphertexts.append(data["rule"].webhook_url_encrypted)
    ciphertexts += [TOTP_KEY_HEX, base64.b32encode(bytes.fromhex(TOTP_KEY_HEX)).decode().rstrip("=")]
    client.force_login(people[who])
    leaks, pages = [], _admin_pages(data, people["superuser"])
    for url in pages:
        response = client.get(url, follow=url.endswith("/change/"))  # a conflict's change page redirects
        assert response.status_code < 500, url
        body = response.content.decode()
        if CANARY in body or any(c and c in body for c in ciphertexts):
            leaks.append(url)
    assert len(pages) > 100
    assert leaks == []


def test_the_chat_webhook_stays_write_only_for_who_may_edit(client, django_user_model):
    """An editor still sets and clears it; the page says whether one is set, never what it is."""
    people = users(django_user_model)
    rule = dataset_build(owner=people["superuser"])["rule"]
    client.force_login(people[ADMIN_GROUP])
    url = reverse("admin:monitoring_alertrule_change", args=[rule.pk])
    page = client.get(url).content.decode()
    assert 'name="webhook_url"' in page and "chat webhook (set)" in page and CANARY not in page
    form = {"name": rule.name, "kind": rule.kind, "enabled": "on", "severity": rule.severity, "threshold": "0",
            "window_minutes": "60", "email_to": "", "repeat_minutes": "240", "webhook_url": ""}
    assert client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert CANARY in rule.webhook_url  # blank kept the stored one
    client.force_login(people[FINANCE_GROUP])
    page = client.get(url).content.decode()
    assert "webhook_url" not in page and "chat webhook (set)" in page
