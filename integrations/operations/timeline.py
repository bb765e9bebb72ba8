"""The deal timeline: one page with a deal's whole chain across systems.

From any bound record, follow the entity links (Opportunity → invoice → sales order →
shipment → payment → Infor reconciliation, and the client they belong to) both ways, then
gather every binding, sync item, attempt, API call and inbound event of those entities in
time order, with a link to each record in its own system.

Record links come from each system's connector (``record_link``, listed in CONNECTORS). The
default reads the link a flow stored on the binding (``extra["url"]``, ``["link"]`` or
``["deep_link"]``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from integrations.connectors.connector import stored_link
from integrations.connectors.registry import CONNECTORS
from integrations.models import Binding, Entity, EntityLink, InboundEvent, SyncItem
from monitoring.models import ApiCall, SyncAttempt

MAX_ENTITIES = 200
MAX_EVENTS = 1000
# The order a chain reads in, left to right.
CHAIN_ORDER = [
    Entity.Kind.CUSTOMER, Entity.Kind.CONTACT, Entity.Kind.DEAL, Entity.Kind.INVOICE, Entity.Kind.ORDER,
    Entity.Kind.SHIPMENT, Entity.Kind.PAYMENT, Entity.Kind.EXPENSE, Entity.Kind.JOURNAL,
]


def record_link(binding: Binding) -> str | None:
    connector = CONNECTORS.get(binding.connection.system)
    return connector.record_link(binding) if connector else stored_link(binding)


def chain_entities(entity: Entity) -> list[Entity]:
    """Every entity linked to this one, directly or not, ordered as the chain reads."""
    seen, frontier = {entity.pk}, {entity.pk}
    while frontier and len(seen) < MAX_ENTITIES:
        links = EntityLink.objects.filter(Q(from_entity__in=frontier) | Q(to_entity__in=frontier)).values_list(
            "from_entity_id", "to_entity_id"
        )
        frontier = {i for pair in links for i in pair} - seen
        seen |= frontier
    order = {k: i for i, k in enumerate(CHAIN_ORDER)}
    return sorted(Entity.objects.filter(pk__in=seen), key=lambda e: (order.get(e.kind, 99), e.pk))


@dataclass
class Event:
    at: datetime
    what: str
    detail: str
    system: str = ""
    status: str = ""
    sync_item_id: int | None = None


def _items(entities: list[Entity], bindings: list[Binding]) -> list[SyncItem]:
    by_source = Q()
    for b in bindings:
        by_source |= Q(flow__source_connection_id=b.connection_id, source_object=b.object_type, source_id=b.external_id)
    return list(SyncItem.objects.filter(Q(entity__in=entities) | by_source).select_related("flow", "flow__source_connection").order_by("created_at")[:MAX_EVENTS])


def _events(items: list[SyncItem]) -> list[Event]:
    events = []
    item_ids = [i.pk for i in items]
    for item in items:
        events.append(Event(item.received_at, "Change received", f"{item.flow}: {item.source_object} {item.source_id}",
                            item.flow.source_connection.system, item.status, item.pk))
    for a in SyncAttempt.objects.filter(sync_item_id__in=item_ids).order_by("started_at")[:MAX_EVENTS]:
        events.append(Event(a.started_at, f"Attempt {a.number}", a.message or "(running)", "", a.outcome, a.sync_item_id))
    for c in ApiCall.objects.filter(sync_item_id__in=item_ids).order_by("created_at")[:MAX_EVENTS]:
        events.append(Event(c.created_at, "API call", f"{c.method} {c.operation} → {c.status_code or c.error or 'no answer'} "
                            f"({c.duration_ms} ms)", c.system, str(c.status_code or ""), c.sync_item_id))
    for e in InboundEvent.objects.filter(sync_items__in=item_ids).distinct().select_related("connection"):
        events.append(Event(e.received_at, "Event received", f"{e.event_type} {e.object_type} {e.object_id}",
                            e.connection.system, e.status))
    return sorted(events, key=lambda ev: ev.at)[:MAX_EVENTS]


def timeline_build(*, entity: Entity) -> dict:
    entities = chain_entities(entity)
    bindings = list(Binding.objects.filter(entity__in=entities).select_related("connection").order_by("created_at"))
    per_entity: dict[int, list] = {}
    for b in bindings:
        per_entity.setdefault(b.entity_id, []).append({"binding": b, "url": record_link(b)})
    items = _items(entities, bindings)
    return {
        "entity": entity,
        "chain": [{"entity": e, "records": per_entity.get(e.pk, [])} for e in entities],
        "items": items,
        "events": _events(items),
    }
