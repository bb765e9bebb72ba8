"""Rejected deliveries cost a stranger's flood little: no lock on the connection row, and past
WEBHOOK_REJECTIONS_PER_MINUTE per endpoint a 429 with Retry-After that touches no database."""
import psycopg
import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations.connectors.shop.order import signature_base64
from integrations.models import Connection
from integrations.triggers.webhooks import connections as webhook_connections
from integrations.triggers.webhooks import rejections
from integrations.triggers.webhooks.rejections import webhook_rejections
from tests.webhooks.conftest import SECRET

ORDER = b'{"id": 4001, "total_price": "10.00", "line_items": []}'


def post(client, connection, *, secret=SECRET, webhook_id="wh-1"):
    return client.post(f"/api/webhooks/shopify/{connection.pk}/", ORDER, content_type="application/json",
                       headers={"X-Shopify-Hmac-Sha256": signature_base64(secret, ORDER),
                                "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Topic": "orders/create"})


def connection_row_queries(queries) -> list[str]:
    """Statements that write or lock the connection row."""
    return [q["sql"] for q in queries.captured_queries if 'integrations_connection"' in q["sql"]
            and (q["sql"].startswith("UPDATE") or "FOR UPDATE" in q["sql"] or "FOR NO KEY" in q["sql"])]


@pytest.mark.django_db
def test_a_rejection_is_counted_without_writing_or_locking_the_connection_row(client, shop_connection):
    connection = shop_connection("shopify")
    with CaptureQueriesContext(db) as queries:
        assert post(client, connection, secret="wrong").status_code == 401
        assert post(client, connection, secret="wrong", webhook_id="wh-2").status_code == 401
    assert connection_row_queries(queries) == []
    assert webhook_rejections(connection_id=connection.pk) == {"signature": 2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rejected_delivery_answers_while_another_transaction_holds_the_connection_row(client, shop_connection,
                                                                                      pg_only):
    connection = shop_connection("shopify")
    params = db.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as holder:
        holder.execute("SELECT id FROM integrations_connection WHERE id = %s FOR UPDATE", [connection.pk])
        with db.cursor() as cursor:
            # Waiting for the held row would fail at once instead of answering: no sleep, no timing.
            cursor.execute("SET lock_timeout = '50ms'")
        try:
            assert post(client, connection, secret="wrong").status_code == 401
            assert post(client, connection, secret="wrong", webhook_id="wh-2").status_code == 401
        finally:
            with db.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
        holder.rollback()
    assert webhook_rejections(connection_id=connection.pk) == {"signature": 2}


@pytest.mark.django_db
def test_past_the_limit_rejections_get_429_and_touch_no_database(client, shop_connection, settings, monkeypatch):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 3
    settings.WEBHOOK_CONNECTION_CACHE_SECONDS = 60
    webhook_connections._CACHE.clear()
    monkeypatch.setattr(rejections, "_clock", lambda: 1_800_000_015.5)  # 15.5 s into a clock minute
    connection = shop_connection("shopify")
    assert [post(client, connection, secret="wrong", webhook_id=f"bad-{i}").status_code for i in range(3)] == [401] * 3
    with CaptureQueriesContext(db) as queries:
        limited = post(client, connection, secret="wrong", webhook_id="bad-4")
    assert limited.status_code == 429 and limited["Retry-After"] == "45"
    assert "Too many rejected deliveries" in limited.json()["error"] and "signature" in limited.json()["error"]
    assert queries.captured_queries == []
    assert webhook_rejections(connection_id=connection.pk) == {"signature": 3}
    # A valid delivery is never limited; the next minute counts afresh.
    assert post(client, connection, webhook_id="good-1").status_code == 200
    monkeypatch.setattr(rejections, "_clock", lambda: 1_800_000_075.0)
    assert post(client, connection, secret="wrong", webhook_id="bad-5").status_code == 401
    webhook_connections._CACHE.clear()


@pytest.mark.django_db
def test_the_limit_is_per_connection(client, shop_connection, settings):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 1
    flooded, other = shop_connection("shopify"), shop_connection("shopify")
    assert post(client, flooded, secret="wrong").status_code == 401
    assert post(client, flooded, secret="wrong").status_code == 429
    assert post(client, other, secret="wrong").status_code == 401


@pytest.mark.django_db
def test_the_counts_move_with_the_migration(django_db_setup):
    """What 0009 does to counts kept in api_usage until now (nothing lost)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("integrations.migrations.0010_webhook_rejection_count")
    connection = Connection.objects.create(name="old", system="shopify",
                                           api_usage={"calls": 3, "webhook_rejections_signature": 7,
                                                      "webhook_rejections_other": 2})
    migration.counters_move(apps, None)
    connection.refresh_from_db()
    assert connection.api_usage == {"calls": 3}
    assert webhook_rejections(connection_id=connection.pk) == {"signature": 7, "other": 2}


@pytest.mark.django_db
def test_the_connection_page_shows_its_rejected_deliveries(client, admin_client, shop_connection):
    connection = shop_connection("shopify")
    assert post(client, connection, secret="wrong").status_code == 401
    page = admin_client.get(f"/admin/integrations/connection/{connection.pk}/change/").content.decode()
    assert "Rejected webhook deliveries" in page and "signature: 1" in page
