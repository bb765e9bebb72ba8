"""The .ionapi upload in the admin, and the demo connection to the simulator."""
import io
import json

import pytest

from integrations.demo.infor import DEMO_NAME, infor_sandbox_connection_ensure
from integrations.models import Connection
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
IONAPI = {"ti": "T1", "cn": "App", "ci": "T1~client", "cs": "cs-very-secret", "iu": "https://ion.example",
          "pu": "https://sso.example/T1/as/", "ot": "token.oauth2", "or": "revoke_token.oauth2",
          "saak": "T1#access-key", "sask": "sask-very-secret"}


def post_change(admin_client, connection, upload):
    url = f"/admin/integrations/connection/{connection.pk}/change/"
    form = {"name": connection.name, "system": "infor", "environment": "production", "auth_kind": "ionapi",
            "settings": "{}", "client_id": "", "base_url": "", "auth_url": "", "is_active": "on",
            "ionapi_file": upload}
    return admin_client.post(url, form)


def test_uploading_an_ionapi_file_stores_it_encrypted(admin_client):
    connection = ConnectionFactory(system="infor")
    upload = io.BytesIO(json.dumps(IONAPI).encode())
    upload.name = "T1.ionapi"
    response = post_change(admin_client, connection, upload)
    assert response.status_code == 302, response.content[:2000]
    connection.refresh_from_db()
    assert json.loads(connection.get_secret("ionapi")) == IONAPI
    assert connection.base_url == "https://ion.example/T1" and connection.settings["ionapi_tenant"] == "T1"
    page = admin_client.get(f"/admin/integrations/connection/{connection.pk}/change/").content.decode()
    assert "ionapi (set)" in page and 'name="ionapi_file"' in page and 'name="webhook_secret"' in page
    assert "sask-very-secret" not in page and "cs-very-secret" not in page


def test_an_incomplete_file_is_refused_with_what_is_missing(admin_client):
    connection = ConnectionFactory(system="infor")
    upload = io.BytesIO(json.dumps({k: v for k, v in IONAPI.items() if k != "sask"}).encode())
    upload.name = "T1.ionapi"
    response = post_change(admin_client, connection, upload)
    assert response.status_code == 200
    assert "lacks sask (service account secret key)" in response.content.decode()
    connection.refresh_from_db()
    assert connection.get_secret("ionapi") is None


def test_demo_step_is_idempotent():
    lines = []
    infor_sandbox_connection_ensure(lines.append)
    infor_sandbox_connection_ensure(lines.append)
    connection = Connection.objects.get(name=DEMO_NAME)
    assert len(lines) == 1 and connection.is_sandbox and connection.system == "infor"
    assert connection.base_url.endswith("/sandbox/infor/LEDGERLINK_TST")
