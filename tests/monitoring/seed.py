"""A small engine dataset with known answers, shared by the dashboard, alert and browser tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

from integrations.models import Connection, Cursor, SyncItem
from monitoring.models import ApiCall, SyncAttempt
from tests.factories import ConnectionFactory, FlowFactory, SyncItemFactory

NOW = datetime(2026, 3, 10, 10, 15, tzinfo=dt_timezone.utc)


def item(flow, *, status, created, finished=None, latency_s=None, **extra) -> SyncItem:
    received = finished - timedelta(seconds=latency_s) if latency_s is not None else created
    obj = SyncItemFactory(flow=flow, status=status, received_at=received, finished_at=finished, **extra)
    SyncItem.objects.filter(pk=obj.pk).update(created_at=created)
    obj.refresh_from_db()
    return obj


def api_call(connection, at, status=200, system=None):
    call = ApiCall.objects.create(connection=connection, system=system or connection.system, operation="op", method="GET",
                                  path="/x", status_code=status, duration_ms=100, record_count=1)
    ApiCall.objects.filter(pk=call.pk).update(created_at=at)
    return call


def seed_known_dataset(now: datetime = NOW) -> dict:
    sf = ConnectionFactory(name="Salesforce prod", system="salesforce", token_state="valid",
                           token_expires_at=now + timedelta(minutes=5),
                           api_usage={"DailyApiRequests": {"Max": 15000, "Remaining": 3000}})
    fb = ConnectionFactory(name="FreshBooks", system="freshbooks", token_state="failing", last_auth_error="invalid_grant")
    infor = ConnectionFactory(name="Infor M3", system="infor", token_state="valid", token_expires_at=now + timedelta(hours=2))
    a = FlowFactory(name="opportunity-invoice", title="Opportunity → invoice", source_connection=sf, target_connection=fb,
                    source_object="Opportunity", target_object="invoice")
    b = FlowFactory(name="payment-infor", title="Payment → Infor", source_connection=fb, target_connection=infor,
                    source_object="payment", target_object="payment")
    h09 = now.replace(hour=9, minute=10)
    ok = [item(a, status="succeeded", created=h09 - timedelta(minutes=1), finished=h09, latency_s=s) for s in (0.1, 3, 40)]
    dead = item(a, status="dead", created=now.replace(hour=8, minute=20), finished=now.replace(hour=8, minute=30))
    item(a, status="succeeded", created=now - timedelta(days=2), finished=now - timedelta(days=2), latency_s=1)
    item(a, status="pending", created=now - timedelta(hours=2))
    retrying = item(a, status="retrying", created=now - timedelta(minutes=30))
    for n, at in enumerate((now - timedelta(minutes=29), now - timedelta(minutes=20)), start=1):
        SyncAttempt.objects.create(sync_item=retrying, number=n, started_at=at, outcome="retrying", message="FreshBooks timed out")
    for minute in (5, 6, 7):
        api_call(sf, now.replace(hour=9, minute=minute))
    api_call(sf, now.replace(hour=10, minute=1), status=500)
    api_call(fb, now - timedelta(days=3))
    Cursor.objects.create(connection=infor, stream="OIS100MI.LstHead", value=(now - timedelta(hours=3)).isoformat())
    return {"sf": sf, "fb": fb, "infor": infor, "flow_a": a, "flow_b": b, "ok": ok, "dead": dead, "retrying": retrying}


__all__ = ["NOW", "seed_known_dataset", "item", "api_call", "Connection"]
