"""When the stream cannot vouch for what it missed: a replay id the server no longer holds
(past its 72-hour retention, or corrupt) or a gap event. The flows the topic feeds are polled
at once from the last stored commit time (their poll cursors are moved back to it, never
forward; the poll reads it again with its own overlap), and a finding says so.
"""
from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from integrations.connectors.registry import change_reader_for
from integrations.models import Connection, Flow
from integrations.triggers.polling import PollReport, flow_poll, poll_cursor
from monitoring.findings import Found, findings_sync

logger = logging.getLogger(__name__)
CHECK_NAME = "pubsub_gap"


def poll_cursor_rewind(flow: Flow, since: datetime) -> bool:
    """Move the flow's poll cursor back to ``since`` when it is later (never forward); True when moved."""
    reader = change_reader_for(flow)
    if reader is None:
        return False
    cursor = poll_cursor(flow, reader)
    try:
        current = datetime.fromisoformat(cursor.value) if cursor.value else None
    except ValueError:
        current = None  # not a time watermark: the poll reads from its own start
    if current is not None and current <= since:
        return False
    cursor.value = since.isoformat()
    cursor.save(update_fields=["value", "updated_at"])
    return True


def subscription_catch_up(*, connection: Connection, topic: str, flows: list[Flow], since: datetime | None,
                          reason: str) -> list[PollReport]:
    """Poll ``flows`` from ``since`` (the last stored commit time; None: from each cursor) and
    record a ``pubsub_gap`` finding naming why and what the polls found."""
    reports = []
    for flow in flows:
        if since is not None:
            poll_cursor_rewind(flow, since)
        reports.append(flow_poll(flow=flow))
    when = since.isoformat() if since else "the flows' own poll cursors"
    summary = " ".join(report.sentence() for report in reports) or "No enabled flow reads this topic."
    logger.warning("Pub/Sub %s (connection %s): %s; caught up by polling from %s", topic, connection.pk, reason, when)
    findings_sync(check_name=CHECK_NAME, examined=None, found=[Found(
        subject=f"connection {connection.pk} {topic}",
        title=f"Change events on {topic} ({connection.name}) were missed: caught up by polling",
        explanation=(f"{reason} The subscriber resumed from the latest event and polled the flows it feeds "
                     f"from {when} so nothing in between is lost. {summary}"),
        details={"connection_id": connection.pk, "topic": topic, "since": since.isoformat() if since else "",
                 "reason": reason, "polls": [report.sentence() for report in reports]},
        flow_id=flows[0].pk if flows else None,
        variant=timezone.now().isoformat(timespec="seconds"),
    )])
    return reports
