"""``/metrics``: business metrics in Prometheus's text format, computed when scraped.

A custom collector runs a few aggregate queries per scrape, each on an index: open, dead and held
items by flow (the finished ones only over the last hour, by ``finished_at``), API calls of the
last hour by system and status, and one row per connection and subscription. Nothing is kept in
process memory, so every gunicorn worker answers the same.
"""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from integrations.models import Connection, SyncItem
from integrations.selectors import cluster_heartbeat_status
from integrations.triggers.subscriber.status import subscribers_status
from monitoring.measures import token_state
from monitoring.models import ApiCall
from monitoring.usage import api_budget_parse

S = SyncItem.Status
# Counted over all rows (few, on the status index); succeeded and skipped grow forever, so only the last hour.
CURRENT_STATUSES = (S.PENDING, S.RUNNING, S.RETRYING, S.DEAD, S.HELD)
WAITING_STATUSES = (S.PENDING, S.RETRYING, S.RUNNING)
HOUR = timedelta(hours=1)


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"ledgerlink_{name}", documentation, labels=labels)


def items_metrics(now):
    current = _gauge("sync_items", "Sync items now in each open or stopped status, by flow.", ["flow", "status"])
    dead = _gauge("dead_letters", "Dead-letter items waiting for a person, by flow.", ["flow"])
    for row in (SyncItem.objects.filter(status__in=CURRENT_STATUSES).values("flow__name", "status")
                .annotate(n=Count("id")).order_by("flow__name", "status")):
        current.add_metric([row["flow__name"], row["status"]], row["n"])
        if row["status"] == S.DEAD:
            dead.add_metric([row["flow__name"]], row["n"])
    finished = _gauge("sync_items_finished_last_hour", "Items that finished in the last hour, by flow and status.",
                      ["flow", "status"])
    for row in (SyncItem.objects.filter(finished_at__gte=now - HOUR).values("flow__name", "status")
                .annotate(n=Count("id")).order_by("flow__name", "status")):
        finished.add_metric([row["flow__name"], row["status"]], row["n"])
    oldest = _gauge("oldest_pending_age_seconds", "Age of the oldest item waiting or running, by flow.", ["flow"])
    for row in (SyncItem.objects.filter(status__in=WAITING_STATUSES).values("flow__name")
                .annotate(first=Min("created_at")).order_by("flow__name")):
        oldest.add_metric([row["flow__name"]], (now - row["first"]).total_seconds())
    return [current, dead, finished, oldest]


def api_metrics(now):
    calls = _gauge("api_calls_last_hour", "Calls to external systems in the last hour, by system and HTTP status "
                   "('none': no answer).", ["system", "status"])
    errors = _gauge("api_errors_last_hour", "Failed calls (no answer, 4xx/5xx, or an error) in the last hour.",
                    ["system", "status"])
    failed = Q(status_code__isnull=True) | Q(status_code__gte=400) | ~Q(error="")
    for row in (ApiCall.objects.filter(created_at__gte=now - HOUR).values("system", "status_code")
                .annotate(n=Count("id"), bad=Count("id", filter=failed)).order_by("system", "status_code")):
        labels = [row["system"], str(row["status_code"] or "none")]
        calls.add_metric(labels, row["n"])
        if row["bad"]:
            errors.add_metric(labels, row["bad"])
    return [calls, errors]


def connection_metrics(now):
    state = _gauge("token_state", "1 for each connection's token state (valid, expiring, failing, none).",
                   ["connection", "system", "state"])
    expires = _gauge("token_expires_in_seconds", "Seconds until a connection's access token expires.",
                     ["connection", "system"])
    used = _gauge("api_budget_used", "API calls used of the daily budget the system reports.", ["connection", "system"])
    ratio = _gauge("api_budget_used_ratio", "Share of the daily API budget used (0-1).", ["connection", "system"])
    for c in Connection.objects.filter(is_active=True).order_by("name"):
        labels = [c.name, c.system]
        state.add_metric([*labels, token_state(c, now)], 1)
        if c.token_expires_at:
            expires.add_metric(labels, (c.token_expires_at - now).total_seconds())
        budget = api_budget_parse(c.api_usage)
        if budget:
            used.add_metric(labels, budget.used)
            ratio.add_metric(labels, budget.used / budget.limit)
    return [state, expires, used, ratio]


def subscriber_metrics(now):
    lag = _gauge("subscriber_lag_seconds", "Now minus the commit time of the last stored Pub/Sub event.",
                 ["connection", "topic"])
    keepalive = _gauge("subscriber_keepalive_age_seconds", "Seconds since the Pub/Sub server last said the stream "
                       "is alive.", ["connection", "topic"])
    state = _gauge("subscriber_state", "1 for each subscription's state.", ["connection", "topic", "state"])
    for row in subscribers_status():
        labels = [row["connection"], row["topic"]]
        state.add_metric([*labels, row["state"]], 1)
        if row["lag_seconds"] is not None:
            lag.add_metric(labels, row["lag_seconds"])
        if row["keepalive_age_seconds"] is not None:
            keepalive.add_metric(labels, row["keepalive_age_seconds"])
    return [lag, keepalive, state]


def cluster_metrics(now):
    status = cluster_heartbeat_status(now=now)
    up = _gauge("cluster_up", "1 when a worker supervisor reported lately (its heartbeat row).", [])
    up.add_metric([], 0 if status["state"] == "down" else 1)
    wedged = _gauge("cluster_wedged", "1 when every reporting worker cluster is wedged (being restarted).", [])
    wedged.add_metric([], 1 if status["state"] == "wedged" else 0)
    waiting = _gauge("cluster_waiting_items", "Tasks the clusters took from the broker that no worker started yet.", [])
    waiting.add_metric([], status["waiting"])
    families = [up, wedged, waiting]
    if status["last_progress_at"]:
        progress = _gauge("cluster_last_progress_age_seconds", "Seconds since a worker last started or finished a task.", [])
        progress.add_metric([], (now - status["last_progress_at"]).total_seconds())
        families.append(progress)
    return families


# Each returns metric families; the scrape runs them in this order.
METRIC_SOURCES = (items_metrics, api_metrics, connection_metrics, subscriber_metrics, cluster_metrics)


class LedgerlinkCollector:
    def collect(self):
        now = timezone.now()
        for source in METRIC_SOURCES:
            yield from source(now)


# auto_describe off: registering must not run the queries (there is no request yet at import).
REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(LedgerlinkCollector())


def metrics_render() -> bytes:
    return generate_latest(REGISTRY)
