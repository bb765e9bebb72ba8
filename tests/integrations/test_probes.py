"""/healthz, /readyz and /metrics (the public URL contract's probes): what they say and to whom."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule
from prometheus_client.parser import text_string_to_metric_families

from integrations.models import ClusterHeartbeat, Connection, PubSubSubscription, SubscriberLease, SyncItem
from monitoring.models import ApiCall
from tests.factories import ConnectionFactory, FlowFactory, SyncItemFactory

pytestmark = pytest.mark.django_db
S = SyncItem.Status


def _heartbeat(state="running", *, beat_at=None, last_progress_at=None, waiting=0, name="web-1:100"):
    """What a worker supervisor (manage.py ledgerlink_worker) writes every few seconds."""
    now = timezone.now()
    ClusterHeartbeat.objects.update_or_create(name=name, defaults=dict(
        state=state, beat_at=beat_at or now, started_at=now - timedelta(hours=1),
        last_progress_at=last_progress_at or now, waiting=waiting, detail="" if state == "running" else "no progress"))


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_probes_answer_an_internal_host_over_plain_http(client, settings):
    """An orchestrator probes by container name over http: neither refused (ALLOWED_HOSTS) nor redirected."""
    settings.SECURE_SSL_REDIRECT = True
    _heartbeat()
    assert client.get("/admin/login/", HTTP_HOST="ledgerlink-web:8000").status_code == 400
    assert client.get("/healthz", HTTP_HOST="ledgerlink-web:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="ledgerlink-web:8000").status_code == 200


def test_readyz_ok_names_every_check(client):
    _heartbeat()
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert list(body["checks"]) == ["database", "broker", "cluster", "scheduler", "subscriber"]
    assert all(check["ok"] for check in body["checks"].values())


@pytest.fixture
def broken_database(db, settings, tmp_path):
    """A second alias whose server is not there (PostgreSQL: a closed port; SQLite: a missing directory):
    connecting fails for real."""
    conf = dict(connections.settings["default"])
    if conf["ENGINE"].endswith("postgresql"):
        conf.update(HOST="127.0.0.1", PORT="1", NAME="ledgerlink_absent")
    else:
        conf.update(NAME=str(tmp_path / "absent" / "db.sqlite3"))
    connections.settings["broken"] = conf
    settings.READY_DATABASE_ALIASES = ["broken"]
    yield
    del connections.settings["broken"]


def test_readyz_fails_when_the_database_is_down(client, broken_database):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503, body
    assert body["status"] == "unavailable" and "database" in body["failed"]
    assert "OperationalError" in body["checks"]["database"]["error"]
    # What reads the database is named as skipped, not as a second cause.
    assert body["checks"]["cluster"] == {"ok": False, "error": "skipped: the database is down"}


def test_readyz_fails_when_the_broker_is_down(client, monkeypatch):
    """The Redis broker at a port where nothing listens: its ping fails for real."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")
    _heartbeat()
    body = client.get("/readyz").json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["error"].startswith("ConnectionError")
    assert body["checks"]["cluster"]["ok"] is True  # the other checks still run


def test_readyz_fails_when_the_cluster_is_wedged_and_recovers_after_the_restart(client):
    _heartbeat("wedged", last_progress_at=timezone.now() - timedelta(minutes=10), waiting=3)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503, body
    assert body["failed"] == ["cluster"]
    assert body["checks"]["cluster"]["state"] == "wedged" and body["checks"]["cluster"]["waiting"] == 3

    _heartbeat("running")  # the supervisor restarted it and work moves again
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["cluster"]["state"] == "ok"


def test_readyz_fails_when_no_worker_supervisor_reports(client, settings):
    """No worker at all (or one whose heartbeat went stale) is as unready as a wedged one."""
    assert client.get("/readyz").json()["checks"]["cluster"]["state"] == "down"
    _heartbeat(beat_at=timezone.now() - timedelta(seconds=10 * settings.WORKER_HEARTBEAT_SECONDS))
    body = client.get("/readyz").json()
    assert body["failed"] == ["cluster"] and body["checks"]["cluster"]["state"] == "down"


def test_one_wedged_cluster_of_two_keeps_the_service_ready(client):
    _heartbeat("wedged", name="worker-a:1", waiting=2)
    _heartbeat("running", name="worker-b:1")
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_when_the_scheduler_has_not_run(client, settings):
    settings.READY_SCHEDULER_GRACE_SECONDS = 300
    _heartbeat()
    Schedule.objects.create(name="sweeper", func="math.floor", schedule_type=Schedule.MINUTES, minutes=1, repeats=-1,
                            next_run=timezone.now() - timedelta(minutes=30))
    body = client.get("/readyz").json()
    assert body["failed"] == ["scheduler"]
    assert body["checks"]["scheduler"]["overdue"] == "sweeper" and body["checks"]["scheduler"]["late_seconds"] >= 1800


def test_readyz_fails_when_a_subscription_has_no_live_subscriber(client):
    _heartbeat()
    sf = ConnectionFactory(system="salesforce", name="sf-prod")
    now = timezone.now()
    PubSubSubscription.objects.create(connection=sf, topic="/data/OpportunityChangeEvent", state="active",
                                      last_event_at=now, last_keepalive_at=now)
    lease = SubscriberLease.objects.create(connection=sf, holder="host:1", lease_until=now + timedelta(seconds=30),
                                           acquired_at=now)
    assert client.get("/readyz").status_code == 200

    lease.lease_until = now - timedelta(seconds=1)  # the subscriber died: its lease ran out
    lease.save()
    body = client.get("/readyz").json()
    assert body["failed"] == ["subscriber"]
    assert body["checks"]["subscriber"]["problems"] == ["sf-prod /data/OpportunityChangeEvent: no subscriber"]


# --- /metrics -----------------------------------------------------------------------------------
TOKEN = "metrics-" + "t0ken" * 6


def test_metrics_refuses_without_its_token(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert client.get("/metrics").status_code == 403  # neither configured: nobody
    settings.METRICS_TOKEN = TOKEN
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_allowlist(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.9").status_code == 403


def _samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_content(client, settings):
    settings.METRICS_TOKEN = TOKEN
    now = timezone.now()
    flow = FlowFactory(name="opp-invoice")
    for _ in range(3):
        SyncItemFactory(flow=flow, status=S.PENDING)
    SyncItem.objects.filter(flow=flow).update(created_at=now - timedelta(minutes=5))
    for _ in range(2):
        SyncItemFactory(flow=flow, status=S.DEAD, finished_at=now)
    SyncItemFactory(flow=flow, status=S.SUCCEEDED, finished_at=now)
    SyncItemFactory(flow=flow, status=S.SUCCEEDED, finished_at=now - timedelta(hours=2))  # outside the hour
    fb = ConnectionFactory(name="fb-live", system="freshbooks", token_state=Connection.TokenState.VALID,
                           token_expires_at=now + timedelta(hours=10))
    sf = ConnectionFactory(name="sf-live", system="salesforce", token_state=Connection.TokenState.FAILING,
                           api_usage={"api_usage": "api-usage=3000/15000"})
    for status_code, error in ((200, ""), (200, ""), (429, "rate limited"), (None, "timeout")):
        ApiCall.objects.create(connection=fb, system="freshbooks", operation="x", method="GET", path="/",
                               status_code=status_code, error=error)
    PubSubSubscription.objects.create(connection=sf, topic="/data/AccountChangeEvent", state="active",
                                      last_event_at=now - timedelta(seconds=42), last_keepalive_at=now)
    SubscriberLease.objects.create(connection=sf, holder="h", lease_until=now + timedelta(seconds=30), acquired_at=now)

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=")
    m = _samples(response.content.decode())
    assert m[("ledgerlink_sync_items", (("flow", "opp-invoice"), ("status", "pending")))] == 3
    assert m[("ledgerlink_sync_items", (("flow", "opp-invoice"), ("status", "dead")))] == 2
    assert m[("ledgerlink_dead_letters", (("flow", "opp-invoice"),))] == 2
    assert m[("ledgerlink_sync_items_finished_last_hour", (("flow", "opp-invoice"), ("status", "succeeded")))] == 1
    assert 299 <= m[("ledgerlink_oldest_pending_age_seconds", (("flow", "opp-invoice"),))] < 330
    assert m[("ledgerlink_api_calls_last_hour", (("status", "200"), ("system", "freshbooks")))] == 2
    assert m[("ledgerlink_api_errors_last_hour", (("status", "429"), ("system", "freshbooks")))] == 1
    assert m[("ledgerlink_api_errors_last_hour", (("status", "none"), ("system", "freshbooks")))] == 1
    assert ("ledgerlink_api_errors_last_hour", (("status", "200"), ("system", "freshbooks"))) not in m
    assert m[("ledgerlink_token_state", (("connection", "fb-live"), ("state", "valid"), ("system", "freshbooks")))] == 1
    assert m[("ledgerlink_token_state", (("connection", "sf-live"), ("state", "failing"), ("system", "salesforce")))] == 1
    assert m[("ledgerlink_api_budget_used", (("connection", "sf-live"), ("system", "salesforce")))] == 3000
    assert m[("ledgerlink_api_budget_used_ratio", (("connection", "sf-live"), ("system", "salesforce")))] == 0.2
    assert 42 <= m[("ledgerlink_subscriber_lag_seconds",
                    (("connection", "sf-live"), ("topic", "/data/AccountChangeEvent")))] < 60
    assert m[("ledgerlink_subscriber_state", (("connection", "sf-live"), ("state", "active"),
                                              ("topic", "/data/AccountChangeEvent")))] == 1
    assert m[("ledgerlink_cluster_wedged", ())] == 0
    assert TOKEN not in response.content.decode()


def test_metrics_cost_does_not_grow_with_flows_connections_or_rows(client, settings):
    """Aggregates at scrape time: the same number of queries for one flow or many, few rows or more."""
    settings.METRICS_TOKEN = TOKEN

    def scrape_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
        return len(queries)

    SyncItemFactory(status=S.PENDING)
    before = scrape_queries()
    for _ in range(3):
        flow = FlowFactory()
        SyncItemFactory(flow=flow, status=S.DEAD, finished_at=timezone.now())
        ApiCall.objects.create(connection=flow.source_connection, system="salesforce", operation="x", method="GET",
                               path="/", status_code=500)
    assert scrape_queries() == before <= 12
