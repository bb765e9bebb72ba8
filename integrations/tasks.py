"""django-q2 entry points: ids in, one service call, nothing else."""
from integrations.models import Flow
from integrations.operations.backfill import flow_backfill as _backfill
from integrations.operations.reconcile import reconcile_all as _reconcile_all
from integrations.operations.retention import records_prune as _prune
from integrations.sync.engine import sync_item_process as _process
from integrations.sync.routing import inbound_events_route_pending as _route_pending
from integrations.sync.sweeper import sync_items_dispatch_due as _dispatch_due
from integrations.triggers.polling import flows_poll_due as _poll_due


def sync_item_process(item_id: int) -> str | None:
    return _process(item_id=item_id)


def inbound_events_route_pending(connection_id: int) -> int:
    return _route_pending(connection_id=connection_id)


def sync_items_dispatch_due() -> dict:
    return _dispatch_due()


def reconcile_all() -> dict:
    return _reconcile_all()


def flows_poll_due() -> list[str]:
    return [report.sentence() for report in _poll_due()]


def flow_backfill(flow_id: int) -> str:
    return _backfill(flow=Flow.objects.get(pk=flow_id)).sentence()


def records_prune() -> str:
    return _prune().sentence()
