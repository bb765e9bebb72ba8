"""What the dashboard shows: per flow and per connection, for a window. Read-only.

Window counts come from the hourly rollups (plus the hours not rolled up yet, computed
live); backlog, dead letters, cursors and tokens are current state.
"""
from __future__ import annotations

from datetime import datetime
from django.conf import settings
from django.utils.module_loading import import_string

from . import measures
from .links import dead_letter_url
from .refs import engine_model
from .rollups import LATENCY_BUCKETS_MS
from .usage import api_budget_parse
from .windows import Window, api_hours, flow_hours, group_sum, hist_merge, hist_percentile

FLOW_FIELDS = ["received", "succeeded", "dead", "skipped", "retries", "latency_sum_ms"]
API_FIELDS = ["calls", "errors", "records", "duration_sum_ms"]


def success_rate(succeeded: int, dead: int) -> float | None:
    """Share of finished items that reached the target (skipped items are neither)."""
    return round(100.0 * succeeded / (succeeded + dead), 1) if succeeded + dead else None


def polling_warnings() -> dict[int, str]:
    """{flow id: sentence} for flows never polled with no live event source. Which systems can
    deliver events is the connectors' to say: asked through a setting, as monitoring imports
    nothing from integrations."""
    return import_string(settings.LEDGERLINK_FLOW_WARNINGS_PROVIDER)()


def subscriber_rows() -> list[dict]:
    """Per Pub/Sub subscription: state, holder, lag, last keepalive (asked through a setting, as
    monitoring imports nothing from integrations)."""
    return import_string(settings.LEDGERLINK_SUBSCRIBERS_PROVIDER)()


def flow_rows(window: Window, hours: dict) -> list[dict]:
    Flow = engine_model("Flow")
    warnings = polling_warnings()
    totals = group_sum(hours, 0, FLOW_FIELDS)
    hists: dict[int, list] = {}
    for (flow_id, _), row in hours.items():
        hists.setdefault(flow_id, []).append(row["latency_hist"])
    dead_now, backlog = measures.dead_by_flow(), measures.backlog_by_flow()
    arrivals = measures.arrivals_by_flow(window.start, window.now)
    rows = []
    for flow in Flow.objects.select_related("source_connection", "target_connection").order_by("name"):
        t = totals.get(flow.pk, dict.fromkeys(FLOW_FIELDS, 0))
        hist = hist_merge(hists.get(flow.pk, []))
        open_ = backlog.get(flow.pk, {"count": 0, "oldest": None})
        rows.append({
            "id": flow.pk, "name": flow.name, "title": str(flow), "enabled": flow.enabled,
            "source_connection_id": flow.source_connection_id, "target_connection_id": flow.target_connection_id,
            **{f: t[f] for f in FLOW_FIELDS},
            # The arrivals of the window by where each stands now: these columns add up to "received".
            "arrived": arrivals.get(flow.pk, dict.fromkeys(("received", *measures.ARRIVAL_COLUMNS), 0)),
            "success_rate": success_rate(t["succeeded"], t["dead"]),
            "latency_p50_ms": hist_percentile(hist, 0.5), "latency_p95_ms": hist_percentile(hist, 0.95),
            "backlog": open_["count"],
            "oldest_pending_seconds": (window.now - open_["oldest"]).total_seconds() if open_["oldest"] else None,
            "dead_total": dead_now.get(flow.pk, 0), "dead_url": dead_letter_url(flow.pk),
            "polling_warning": warnings.get(flow.pk, ""),
            "poll_error": flow.poll_error if flow.enabled else "", "poll_error_at": flow.poll_error_at,
            "poll_failures": flow.poll_failures,
        })
    return rows


def connection_rows(window: Window, hours: dict) -> list[dict]:
    Connection, Cursor = engine_model("Connection"), engine_model("Cursor")
    per_connection = group_sum(hours, 1, API_FIELDS)
    cursors: dict[int, list] = {}
    for cursor in Cursor.objects.order_by("stream"):
        seconds, basis = measures.cursor_lag(cursor, window.now)
        cursors.setdefault(cursor.connection_id, []).append(
            {"stream": cursor.stream, "value": cursor.value, "lag_seconds": seconds, "basis": basis}
        )
    rows = []
    for c in Connection.objects.order_by("name"):
        usage = per_connection.get(c.pk, dict.fromkeys(API_FIELDS, 0))
        budget = api_budget_parse(c.api_usage)  # None unless the connection reports a budget
        rows.append({
            "id": c.pk, "name": c.name, "system": c.system, "is_active": c.is_active,
            **usage, "avg_ms": round(usage["duration_sum_ms"] / usage["calls"]) if usage["calls"] else None,
            "token_state": measures.token_state(c, window.now), "token_expires_at": c.token_expires_at,
            "last_auth_error": c.last_auth_error,
            "budget": {"used": budget.used, "limit": budget.limit, "percent": budget.percent} if budget else None,
            "cursors": cursors.get(c.pk, []),
        })
    return rows


def series(window: Window, flows: dict, apis: dict) -> dict:
    """Per hour across all flows: throughput and failures, and API calls per system."""
    labels = window.hours()
    by_hour = group_sum(flows, 1, ["succeeded", "dead", "retries"])
    systems = sorted({key[0] for key in apis})
    calls = {s: [0] * len(labels) for s in systems}
    index = {h: i for i, h in enumerate(labels)}
    for (system, _, hour), row in apis.items():
        if hour in index:
            calls[system][index[hour]] += row["calls"]
    zero = {"succeeded": 0, "dead": 0, "retries": 0}
    return {
        "hours": [h.isoformat() for h in labels],
        "succeeded": [by_hour.get(h, zero)["succeeded"] for h in labels],
        "dead": [by_hour.get(h, zero)["dead"] for h in labels],
        "retries": [by_hour.get(h, zero)["retries"] for h in labels],
        "api_calls": calls,
    }


def latency_distribution(flows: dict) -> dict:
    hist = hist_merge(row["latency_hist"] for row in flows.values())
    labels = [f"≤ {fmt_ms(ms)}" for ms in LATENCY_BUCKETS_MS] + [f"> {fmt_ms(LATENCY_BUCKETS_MS[-1])}"]
    return {"labels": labels, "counts": hist}


def api_by_system(apis: dict) -> list[dict]:
    return [{"system": s, **v} for s, v in sorted(group_sum(apis, 0, API_FIELDS).items())]


def dashboard_build(*, window_key: str, now: datetime) -> dict:
    window = Window.of(window_key, now)
    flows, apis = flow_hours(window), api_hours(window)
    chart_series, latency = series(window, flows, apis), latency_distribution(flows)
    return {
        "window": window,
        "flows": flow_rows(window, flows),
        "connections": connection_rows(window, apis),
        "systems": api_by_system(apis),
        "subscribers": subscriber_rows(),
        "series": chart_series,
        "latency": latency,
        # The same numbers as rows: the plain-table fallback under each chart.
        "series_rows": list(zip(window.hours(), chart_series["succeeded"], chart_series["dead"], chart_series["retries"])),
        "latency_rows": list(zip(latency["labels"], latency["counts"])),
    }


def fmt_ms(ms: float | None) -> str:
    """250 → '250 ms', 5000 → '5 s', 120000 → '2 min', 14400000 → '4 h'."""
    if ms is None:
        return "—"
    if ms == float("inf"):
        return "> 1 day"
    for unit, size in (("day", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms >= size:
            value = ms / size
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{ms:g} ms"
