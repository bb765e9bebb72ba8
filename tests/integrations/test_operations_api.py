"""The operations API: lists, replays and resolves with a token; refuses without one (401) and a
token of a user without its named permission (403); reads a deal's timeline; in the schema."""
import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from integrations.models import ItemAction, SyncItem
from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from tests.factories import SyncItemFactory
from tests.integrations.staff_dataset import users
from tests.integrations.test_timeline import deal  # noqa: F401  (the timeline's dataset)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    return users(django_user_model)


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def dead():
    first = SyncItemFactory(status="dead", last_error="'Hotel' is not in the value table 't'", cause_key="k1",
                            source_snapshot={"vendor": "Hotel Adlon", "amount": {"amount": "120.00", "code": "EUR"}})
    SyncItemFactory(flow=first.flow, status="dead", cause_key="k2")
    SyncItemFactory(flow=first.flow, status="succeeded")
    return first


def test_without_a_token_every_endpoint_is_refused(dead):
    client = _client()
    assert client.get(reverse("operations-api:items")).status_code == 401
    assert client.post(reverse("operations-api:item-replay", args=[dead.pk])).status_code == 401
    assert client.post(reverse("operations-api:item-resolve", args=[dead.pk]), {"note": "x"}).status_code == 401
    assert client.get(reverse("operations-api:causes")).status_code == 401
    assert _client().get(reverse("operations-api:items"), HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    dead.refresh_from_db()
    assert (dead.status, dead.resolution) == ("dead", "") and not ItemAction.objects.exists()


def test_a_token_without_the_named_permission_is_refused(people, dead):
    client = _client(people[FINANCE_GROUP])  # Finance works in the admin; the API is the operators'
    assert client.get(reverse("operations-api:items")).status_code == 403
    assert client.post(reverse("operations-api:item-replay", args=[dead.pk])).status_code == 403


def test_lists_by_status_flow_and_cause(people, dead):
    client = _client(people[ADMIN_GROUP])
    body = client.get(reverse("operations-api:items"), {"status": "dead", "flow": dead.flow.name}).json()
    assert body["count"] == 2 and {r["status"] for r in body["results"]} == {"dead"}
    [row] = client.get(reverse("operations-api:items"), {"cause": "k1"}).json()["results"]
    assert row["id"] == dead.pk and row["business"]["customer"] == "Hotel Adlon"
    assert (row["business"]["amount"], row["business"]["currency"]) == ("120.00", "EUR")
    assert client.get(reverse("operations-api:item", args=[dead.pk])).json()["cause_key"] == "k1"


def test_replays_and_resolves_with_a_note(people, dead):
    client = _client(people[ADMIN_GROUP])
    other = SyncItem.objects.get(cause_key="k2")
    response = client.post(reverse("operations-api:item-replay", args=[other.pk]))
    assert response.status_code == 202 and response.json()["item"]["status"] == "pending"
    assert client.post(reverse("operations-api:item-replay", args=[other.pk])).status_code == 409  # already queued
    url = reverse("operations-api:item-resolve", args=[dead.pk])
    assert client.post(url, {"note": "  "}, format="json").status_code == 400
    response = client.post(url, {"note": "Booked by hand.", "resolution": "ignored"}, format="json")
    assert response.status_code == 200 and response.json()["item"]["resolution"] == "ignored"
    dead.refresh_from_db()
    assert (dead.resolution, dead.resolution_note, dead.resolved_by) == ("ignored", "Booked by hand.", people[ADMIN_GROUP])
    assert client.post(url, {"note": "again"}, format="json").status_code == 409
    assert set(ItemAction.objects.values_list("action", flat=True)) == {"replayed", "ignored"}
    assert client.get(reverse("operations-api:causes")).json() == []  # k1 resolved; k2 queued again


def test_reads_a_deal_timeline(people, deal):  # noqa: F811
    client = _client(people[ADMIN_GROUP])
    entity_id = deal["e"]["deal"].pk
    body = client.get(reverse("operations-api:timeline", args=[entity_id])).json()
    kinds = [e["kind"] for e in body["chain"]]
    assert kinds[:3] == ["customer", "deal", "invoice"] and body["events"]
    assert any(r["external_id"] == "77" for e in body["chain"] for r in e["records"])
    assert client.get(reverse("operations-api:timeline", args=[999999])).status_code == 404


def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert {"/api/operations/items/", "/api/operations/items/{id}/replay/", "/api/operations/items/{id}/resolve/",
            "/api/operations/causes/", "/api/operations/timeline/{entity_id}/"} <= set(schema["paths"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]
