"""'Connect Salesforce' through social-auth against the simulator, 'Test connection', and the demo step."""
from __future__ import annotations

import re

import requests
from social_django.models import UserSocialAuth

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.demo.salesforce import DEMO_NAME, salesforce_sandbox_connect
from integrations.connectors.salesforce.social import connect_backend_name
from integrations.models import Connection
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.events import deliveries_drain
from integrations.sandbox.salesforce.models import SfSubscription
from tests.sandbox.salesforce.fixtures import CONSUMER_KEY


def _admin_session(live_server, django_user_model) -> requests.Session:
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-123-secret")
    session = requests.Session()
    page = session.get(f"{live_server.url}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{live_server.url}/admin/login/", timeout=10, headers={"Referer": page.url},
                          data={"username": "boss", "password": "pw-123-secret", "csrfmiddlewaretoken": token,
                                "next": "/admin/"}, allow_redirects=False)
    assert answer.status_code == 302 and "sessionid" in session.cookies
    return session


def test_connect_button_runs_oauth_with_pkce_and_stores_encrypted_tokens(live_server, django_user_model,
                                                                         sf_connection_unconnected):
    connection = sf_connection_unconnected
    sim.connected_app_ensure(consumer_key=CONSUMER_KEY, redirect_uris=[
        f"{live_server.url}/connect/complete/salesforce-simulator-connect/"])
    session = _admin_session(live_server, django_user_model)
    start = session.get(f"{live_server.url}/integrations/salesforce/{connection.pk}/connect/", timeout=10)
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', start.text).group(1)
    begin = re.search(r'<form method="post" action="([^"]+)"', start.text).group(1)
    approval = session.post(live_server.url + begin, data={"csrfmiddlewaretoken": form_token}, timeout=10,
                            headers={"Referer": start.url})
    assert approval.status_code == 200 and "Allow access?" in approval.text
    assert "code_challenge" in approval.url
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', approval.text))
    done = session.post(approval.url.split("?")[0], data={**fields, "decision": "allow"}, timeout=10)
    assert done.status_code == 200 and f"/admin/integrations/connection/{connection.pk}/change/" in done.url
    connection.refresh_from_db()
    assert connection.token_state == Connection.TokenState.VALID and connection.get_secret("refresh_token")
    assert connection.get_secret("access_token") not in connection.secrets_encrypted
    assert connection.get_secret("access_token") not in done.text  # never rendered in the admin
    assert not UserSocialAuth.objects.exists()  # connecting a system logs nobody in
    tested = session.get(f"{live_server.url}/integrations/salesforce/{connection.pk}/test/", timeout=10)
    assert "Connected as" in tested.text and "integration@ledgerlink.sandbox" in tested.text
    assert "Daily API requests" in tested.text


def test_backend_choice_by_host(db):
    def backend(**kw):
        return connect_backend_name(Connection(system="salesforce", **kw))
    assert backend(auth_url="https://login.salesforce.com") == "salesforce-connect"
    assert backend(auth_url="https://test.salesforce.com") == "salesforce-sandbox-connect"
    assert backend(auth_url="https://acme.my.salesforce.com") == "salesforce-mydomain-connect"
    assert backend(auth_url="http://127.0.0.1:8000/sandbox/salesforce", is_sandbox=True) == \
        "salesforce-simulator-connect"


def test_demo_step_connects_and_points_at_pubsub_idempotently(live_server, settings, transactional_db):
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    settings.SANDBOX_SALESFORCE_PUBSUB_PORT = 7099
    lines = []
    salesforce_sandbox_connect(lines.append)
    salesforce_sandbox_connect(lines.append)
    connection = Connection.objects.get(name=DEMO_NAME)
    assert (connection.settings["pubsub_endpoint"], connection.settings["pubsub_tls"]) == ("127.0.0.1:7099", False)
    assert "127.0.0.1:7099" in lines[0] and len(lines) == 2
    # The HTTP relay exists for senders that post, but the demo's is off: events come through Pub/Sub.
    [relay] = SfSubscription.objects.all()
    assert not relay.active
    client = SalesforceClient(connection)
    products = client.query("SELECT Name FROM Product2")["totalSize"]
    assert products == 2
    client.create("Account", {"Name": "Demo"})
    assert deliveries_drain()["sent"] == 0
