"""“Connect FreshBooks” in the admin (social-auth against the simulator), “Test connection”,
and the demo step that leaves a sandbox connection fully connected with no user action."""
import re
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse
from social_django.models import UserSocialAuth

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.demo.freshbooks import CONNECTION_NAME, freshbooks_sandbox_connect
from integrations.connectors.freshbooks.services import freshbooks_webhook_url
from integrations.connectors.freshbooks.tasks import callback_confirm, callbacks_ensure
from integrations.models import Connection
from integrations.sandbox.freshbooks.deliveries import deliveries_drain
from integrations.sandbox.freshbooks.models import SimCallback, SimToken
from integrations.sandbox.freshbooks.seed import sandbox_app_register
from monitoring.models import ApiCall


def _approve_in_browser(url: str) -> str:
    session = requests.Session()
    page = session.get(url, timeout=10)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text.replace("&amp;", "&")))
    answer = session.post(url.split("?")[0], data={**fields, "approve": "1"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def test_connect_freshbooks_through_the_admin(fb, admin_user, client, live_server, settings):
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    # The app registers the callback on the http:// test client host: a local sandbox app (real FreshBooks: https only).
    sandbox_app_register(fb.app, redirect_uris=["http://testserver" + reverse("social:complete", args=["freshbooks"])],
                         local_sandbox=True)
    connection = fb.connection(with_tokens=False)
    connection.settings = {}
    connection.save()
    client.force_login(admin_user)

    page = client.get(reverse("admin:integrations_connection_change", args=[connection.pk]))
    assert b"Connect FreshBooks" in page.content
    assert fb.app.client_secret.encode() not in page.content  # secrets never reach the page

    confirm = client.get(reverse("integrations:freshbooks-connect", args=[connection.pk]))
    assert b"Connect FreshBooks now" in confirm.content
    to_freshbooks = client.post(reverse("integrations:freshbooks-connect", args=[connection.pk]))
    assert to_freshbooks["Location"].startswith(fb.root + "oauth/authorize?")
    back = urlsplit(_approve_in_browser(to_freshbooks["Location"]))
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302 and done["Location"] == reverse("admin:integrations_connection_change",
                                                                    args=[connection.pk])

    connection.refresh_from_db()
    token = SimToken.objects.get(access_token=connection.get_secret("access_token"))
    assert connection.get_secret("refresh_token") == token.refresh_token and connection.token_state == "valid"
    assert connection.token_expires_at == token.expires_at
    assert connection.settings["account_id"] == fb.account.account_id
    assert ApiCall.objects.filter(operation="oauth.code_exchange", status_code=200).count() == 1
    assert not UserSocialAuth.objects.exists()  # connecting a system signs nobody in

    messages = [m.message for m in list(client.get(done["Location"]).context["messages"])]
    assert any("FreshBooks connected" in m for m in messages)


def test_connect_denied_shows_why(fb, admin_user, client):
    connection = fb.connection(with_tokens=False)
    client.force_login(admin_user)
    client.post(reverse("integrations:freshbooks-connect", args=[connection.pk]))
    done = client.get(reverse("social:complete", args=["freshbooks"]), {"error": "access_denied", "state": "x"})
    assert done.status_code == 302
    messages = [m.message for m in list(client.get(done["Location"]).context["messages"])]
    assert any("FreshBooks was not connected" in m for m in messages)


def test_test_connection_action(fb, fb_connection, admin_user, client):
    fb_client = FreshBooksClient(fb_connection)
    fb_client.clients.create({"organization": "Sample Client"})
    client.force_login(admin_user)
    answer = client.post(reverse("admin:integrations_connection_changelist"),
                         {"action": "test_connection", "_selected_action": [fb_connection.pk]}, follow=True)
    text = " ".join(m.message for m in answer.context["messages"])
    assert f"Connected to FreshBooks as {fb.user.email}" in text and "1 client(s), for example “Sample Client”" in text


def test_demo_step_connects_with_no_user_action(live_server, settings):
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    lines = []
    connection = freshbooks_sandbox_connect(lines.append)
    again = freshbooks_sandbox_connect(lines.append)  # idempotent: `make run` calls it on every start
    assert Connection.objects.filter(name=CONNECTION_NAME).count() == 1
    assert again.get_secret("access_token") == connection.get_secret("access_token")
    assert "is connected to" in lines[0]
    # The strict simulator takes the demo's "Connect FreshBooks" redirect: the demo app registers it (http: local sandbox).
    app = SimToken.objects.get(access_token=connection.get_secret("access_token")).app
    assert app.local_sandbox and app.redirect_uri_list() == [connection.settings["redirect_uri"]]
    consent = requests.get(live_server.url + "/sandbox/freshbooks/oauth/authorize", timeout=10, params={
        "client_id": app.client_id, "response_type": "code", "redirect_uri": connection.settings["redirect_uri"],
        "scope": " ".join(settings.FRESHBOOKS_SCOPES)})
    assert consent.status_code == 200 and 'class="error"' not in consent.text

    client = FreshBooksClient(Connection.objects.get(pk=connection.pk))
    assert client.clients.list().total == 2  # the demo business's clients, over real HTTP

    # What the workers do next: register callbacks, deliver the verification, confirm it.
    assert callbacks_ensure(connection.pk) == 4
    assert deliveries_drain() == 4
    for callback in SimCallback.objects.all():
        assert callback_confirm(connection.pk, str(callback.pk))
    assert set(SimCallback.objects.values_list("verified", "uri")) == {(True, freshbooks_webhook_url(connection=connection))}


@pytest.mark.parametrize("path", ["/sandbox/freshbooks/"])
def test_sandbox_index_lists_accounts(fb, client, path):
    assert fb.account.name.encode() in client.get(path).content
