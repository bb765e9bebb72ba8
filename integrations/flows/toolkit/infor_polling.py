"""Running one poll function over every enabled flow of a kind that reads Infor."""
from __future__ import annotations

from integrations.errors import FatalError


def infor_flows_poll(*, kind: str, poll) -> dict:
    """Run ``poll(flow=…)`` for every enabled flow of this kind reading Infor; one flow's
    failure (Infor down, a token refused) is reported and does not stop the others."""
    from integrations.errors import AuthError, RetryableError
    from integrations.models import Flow

    summary = {}
    flows = Flow.objects.filter(enabled=True, kind=kind, source_connection__system="infor",
                                source_connection__is_active=True).select_related("source_connection")
    for flow in flows:
        try:
            summary[flow.name] = poll(flow=flow)
        except (RetryableError, FatalError, AuthError) as exc:
            summary[flow.name] = {"error": str(exc)}
    return summary
