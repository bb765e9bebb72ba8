"""Grouped by cause: unresolved dead letters that failed for the same reason (same ``cause_key``:
flow, step, error class and the table/field/value named) form one group with a count, one fix
link and *Replay group*; a group's history is the audit of its actions.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Max, Min, Q
from django.urls import reverse

from integrations.models import ItemAction, SyncItem
from integrations.operations.attention import item_replay
from mappings.models import MappingChange, ValueTable


@dataclass
class CauseGroup:
    cause_key: str
    label: str
    count: int
    flow: str
    first_at: object
    last_at: object
    fix: dict


def cause_groups(*, flow_id: int | None = None) -> list[CauseGroup]:
    """Open dead-letter groups, largest first."""
    dead = SyncItem.objects.filter(status=SyncItem.Status.DEAD, resolution="").exclude(cause_key="")
    if flow_id:
        dead = dead.filter(flow_id=flow_id)
    rows = (dead.values("cause_key").annotate(n=Count("id"), first=Min("finished_at"), last=Max("finished_at"),
                                               sample=Min("id")).order_by("-n", "cause_key"))
    samples = {i.pk: i for i in SyncItem.objects.filter(pk__in=[r["sample"] for r in rows]).select_related("flow")}
    return [CauseGroup(cause_key=r["cause_key"], label=samples[r["sample"]].cause_label, count=r["n"],
                       flow=str(samples[r["sample"]].flow), first_at=r["first"], last_at=r["last"],
                       fix=samples[r["sample"]].cause_fix or {}) for r in rows]


def cause_group(*, cause_key: str) -> CauseGroup | None:
    return next((g for g in cause_groups() if g.cause_key == cause_key), None)


def cause_fix_links(fix: dict) -> list[tuple[str, str]]:
    """(words, URL) of what fixes a cause: the value table with the missing key prefilled, the
    mapping set and field, the connection's Check."""
    links = []
    table = fix.get("value_table")
    if table:
        found = ValueTable.objects.filter(name=table).values_list("pk", flat=True).first()
        if found:
            url = reverse("admin:mappings_valuetable_change", args=[found]) + "?" + urlencode({"add_key": fix.get("key", "")})
            links.append((f"Add '{fix.get('key', '')}' to the value table {table}", url))
    if fix.get("mapping_set_id"):
        url = reverse("admin:mappings_mappingset_change", args=[fix["mapping_set_id"]])
        if fix.get("field"):
            url += "?" + urlencode({"field": fix["field"]})
        links.append((f"The mapping set{' (field ' + fix['field'] + ')' if fix.get('field') else ''}", url))
    if fix.get("connection_id"):
        url = reverse("admin:integrations_connection_changelist") + "?" + urlencode({"id__exact": fix["connection_id"]})
        links.append(("The connection (select it and run Check)", url))
    return links


def cause_group_replay(*, cause_key: str, user) -> tuple[int, list[str]]:
    """Replay every open dead letter of the group (after its fix); audited on the group."""
    items = list(SyncItem.objects.filter(status=SyncItem.Status.DEAD, resolution="", cause_key=cause_key)
                 .order_by("pk"))
    queued, messages = 0, []
    for item in items:
        _, message = item_replay(item=item, user=user)
        messages.append(message)
        queued += message.endswith("queued again.")
    ItemAction.objects.create(cause_key=cause_key, action="group_replayed", user=user,
                              username=user.get_username() if user else "",
                              detail=f"Replayed the group: {queued} of {len(items)} item(s) queued again.",
                              data={"items": [i.pk for i in items]})
    return queued, messages


@dataclass
class HistoryRow:
    at: object
    who: str
    what: str
    item_id: int | None
    detail: str


def cause_history(*, cause_key: str, limit: int = 200) -> list[HistoryRow]:
    """Who did what to the group and its items, and who changed the value table row that fixes it
    (the mapping history), newest first."""
    rows = [HistoryRow(a.created_at, a.username or "Ledgerlink", a.action, a.item_id, a.detail)
            for a in ItemAction.objects.filter(Q(cause_key=cause_key) | Q(item__cause_key=cause_key))
            .order_by("-created_at", "-pk")[:limit]]
    sample = SyncItem.objects.filter(cause_key=cause_key).order_by("pk").first()
    fix = (sample.cause_fix or {}) if sample else {}
    if fix.get("value_table"):
        changes = MappingChange.objects.filter(
            Q(object_kind__icontains="value table"), Q(object_repr=fix["value_table"])
            | Q(object_repr__startswith=f"{fix.get('key', '')} →"), at__gte=sample.created_at,
        ).select_related("user").order_by("-at")[:limit]
        rows += [HistoryRow(c.at, c.user.get_username() if c.user else "Ledgerlink", f"{c.action} {c.object_kind}",
                            None, f"{c.object_repr} {c.note}".strip()) for c in changes]
    return sorted(rows, key=lambda r: r.at, reverse=True)[:limit]
