"""What each AlertRule kind measures. Explicit registry: kind → (evaluator, plain description).

An evaluator returns the conditions that hold now, one per thing at fault (a flow, a
connection, a cursor…). Each carries a stable key: the same key next time means the same
alert stays open; a key no longer returned resolves its alert.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from .. import links, measures
from ..models import Finding, SyncAttempt
from ..refs import FAILED_OUTCOMES, RUNNING, SUCCEEDED, TOKEN_FAILING, engine_model
from ..templatetags.monitoring_format import seconds as fmt_seconds
from ..usage import api_budget_parse


@dataclass
class Condition:
    key: str
    title: str
    message: str
    details: dict = field(default_factory=dict)
    #: the page to act on it (a path; messages carry it as an absolute URL), and what it shows
    link: str = ""
    link_label: str = "Open"


def _flows(rule):
    Flow = engine_model("Flow")
    qs = Flow.objects.filter(pk=rule.flow_id) if rule.flow_id else Flow.objects.filter(enabled=True)
    return list(qs.order_by("name"))


def _connections(rule):
    Connection = engine_model("Connection")
    qs = Connection.objects.filter(pk=rule.connection_id) if rule.connection_id else Connection.objects.filter(is_active=True)
    return list(qs.order_by("name"))


def dead_letters(rule, now: datetime) -> list[Condition]:
    counts, limit = measures.dead_by_flow(), int(rule.threshold)
    return [
        Condition(f"flow:{flow.pk}", f"{counts[flow.pk]} dead letters on {flow}",
                  f"{counts[flow.pk]} items of flow '{flow}' failed permanently (more than {limit}). "
                  "Open the dead-letter list, fix the cause, and replay them.", {"dead": counts[flow.pk]},
                  links.dead_letter_url(flow.pk), "Dead letters of this flow")
        for flow in _flows(rule) if counts.get(flow.pk, 0) > limit
    ]


def dead_letters_waiting(rule, now: datetime) -> list[Condition]:
    counts, limit = measures.dead_by_flow(before=now - timedelta(minutes=rule.window_minutes)), int(rule.threshold)
    return [
        Condition(f"flow:{flow.pk}", f"{counts[flow.pk]} dead letters waiting on {flow}",
                  f"{counts[flow.pk]} items of flow '{flow}' failed permanently more than {rule.window_minutes} minutes "
                  "ago and nobody has replayed or resolved them yet. Open the list, fix the cause (each row "
                  "says what went wrong), and replay them.", {"dead": counts[flow.pk]},
                  links.dead_letter_url(flow.pk), "Dead letters of this flow")
        for flow in _flows(rule) if counts.get(flow.pk, 0) > limit
    ]


def consecutive_failures(rule, now: datetime) -> list[Condition]:
    n = max(1, int(rule.threshold))
    found = []
    for flow in _flows(rule):
        outcomes = list(SyncAttempt.objects.filter(sync_item__flow_id=flow.pk).exclude(outcome=RUNNING)
                        .order_by("-started_at", "-id").values_list("outcome", flat=True)[:n])
        if len(outcomes) == n and all(o in FAILED_OUTCOMES for o in outcomes):
            last = SyncAttempt.objects.filter(sync_item__flow_id=flow.pk).exclude(outcome=RUNNING).order_by("-started_at", "-id").first()
            found.append(Condition(f"flow:{flow.pk}", f"{n} failures in a row on {flow}",
                                   f"The last {n} attempts of flow '{flow}' all failed. Latest: {last.message}",
                                   {"last_attempt_id": last.pk}, links.sync_items_url(flow.pk), "Sync items of this flow"))
    return found


def no_success(rule, now: datetime) -> list[Condition]:
    SyncItem = engine_model("SyncItem")
    since = now - timedelta(minutes=rule.window_minutes)
    # Grace: work that arrived a moment ago has not had time to finish.
    grace = min(timedelta(minutes=5), timedelta(minutes=rule.window_minutes) / 2)
    found = []
    for flow in _flows(rule):
        arrived = SyncItem.objects.filter(flow=flow, created_at__gte=since, created_at__lte=now - grace).count()
        if not arrived:
            continue
        if SyncItem.objects.filter(flow=flow, status=SUCCEEDED, finished_at__gte=since).exists():
            continue
        found.append(Condition(f"flow:{flow.pk}", f"No successful sync on {flow} for {rule.window_minutes} min",
                               f"{arrived} changes arrived for flow '{flow}' in the last {rule.window_minutes} minutes "
                               "and none was synced. Check the dashboard for errors and the workers.",
                               {"arrived": arrived}, links.dashboard_url(), "Dashboard"))
    return found


def cursor_lag(rule, now: datetime) -> list[Condition]:
    Cursor = engine_model("Cursor")
    qs = Cursor.objects.select_related("connection")
    if rule.connection_id:
        qs = qs.filter(connection_id=rule.connection_id)
    found = []
    for cursor in qs:
        lag, basis = measures.cursor_lag(cursor, now)
        if lag is not None and lag > rule.window_minutes * 60:
            link = (links.flow_url(cursor.flow_id), "The flow") if cursor.flow_id else (
                links.connection_url(cursor.connection_id), "The connection")
            found.append(Condition(f"cursor:{cursor.pk}", f"Polling of {cursor.connection.name}/{cursor.stream} is {fmt_seconds(lag)} behind",
                                   f"The {cursor.stream} stream of {cursor.connection.name} is {fmt_seconds(lag)} behind "
                                   f"(by its {basis}); the limit is {rule.window_minutes} minutes.", {"lag_seconds": lag},
                                   *link))
    return found


def auth_failing(rule, now: datetime) -> list[Condition]:
    return [
        Condition(f"connection:{c.pk}", f"Sign-in failing for {c.name}",
                  f"Ledgerlink cannot authenticate to {c.name}: {c.last_auth_error or 'no reason recorded'}. "
                  "Reconnect it in the admin.", {}, links.connection_url(c.pk), "The connection")
        for c in _connections(rule) if c.token_state == TOKEN_FAILING
    ]


def sf_budget(rule, now: datetime) -> list[Condition]:
    found = []
    for c in _connections(rule):
        budget = api_budget_parse(c.api_usage)  # None unless the connection reports a budget
        if budget and budget.percent > float(rule.threshold):
            found.append(Condition(f"connection:{c.pk}", f"{c.name} has used {budget.percent}% of its daily API budget",
                                   f"{budget.used} of {budget.limit} {c.get_system_display()} API requests used in the last 24 hours "
                                   f"(alert above {rule.threshold}%).", {"used": budget.used, "limit": budget.limit},
                                   links.connection_url(c.pk), "The connection"))
    return found


def anomaly(rule, now: datetime) -> list[Condition]:
    qs = Finding.objects.filter(status=Finding.Status.OPEN)
    if rule.flow_id:
        qs = qs.filter(flow_id=rule.flow_id)
    return [
        Condition(f"check:{r['check_name']}", f"{r['n']} open findings: {r['check_name'].replace('_', ' ')}",
                  f"{r['n']} open findings from the '{r['check_name']}' check. Review them in Findings "
                  "(confirm or dismiss each).", {"open": r["n"]},
                  links.findings_url(r["check_name"]), "Open findings of this check")
        for r in qs.values("check_name").annotate(n=Count("id")).order_by("check_name")
        if r["n"] > int(rule.threshold)
    ]


def poll_failing(rule, now: datetime) -> list[Condition]:
    """Flows whose last polls failed (the poller records each failure on the flow and clears it on success)."""
    limit = int(rule.threshold)
    return [
        Condition(f"flow:{flow.pk}", f"Polling of {flow} failing",
                  f"The last {flow.poll_failures} poll(s) of flow '{flow}' failed"
                  f"{f' (the latest at {flow.poll_error_at:%Y-%m-%d %H:%M} UTC)' if flow.poll_error_at else ''}: "
                  f"{flow.poll_error or 'no reason recorded'} Changes its webhooks or change events missed are "
                  "not being caught; the other flows are still polled.",
                  {"failures": flow.poll_failures, "error": flow.poll_error}, links.flow_url(flow.pk), "The flow")
        for flow in _flows(rule) if flow.poll_failures > limit
    ]


RULE_KINDS: dict[str, tuple] = {
    "dead_letters": (dead_letters, "Fires per flow when its dead-letter count now is above N."),
    "dead_letters_waiting": (dead_letters_waiting, "Fires per flow when more than N of its dead letters have waited longer than T minutes."),
    "consecutive_failures": (consecutive_failures, "Fires per flow when its last N attempts all failed."),
    "no_success": (no_success, "Fires per flow when changes arrived in the last T minutes (older than a short grace) and none succeeded."),
    "cursor_lag": (cursor_lag, "Fires per polling cursor more than T minutes behind its source: the source's changes "
                               "have not been read to the end for that long (a quiet stream, polled, is not behind)."),
    "auth_failing": (auth_failing, "Fires per connection whose token state is 'failing'."),
    "sf_budget": (sf_budget, "Fires per connection whose used daily API requests are above X% of the limit it reports."),
    "anomaly": (anomaly, "Fires per check when more than N of its findings are open."),
    "poll_failing": (poll_failing, "Fires per flow whose last polls failed more than N times in a row (N = 0: any failed poll)."),
}
