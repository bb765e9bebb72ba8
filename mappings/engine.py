"""The mapping engine: source record + mapping set → target payload and field-level errors.

    apply(mapping_set, source_record) → (payload, errors)

Deterministic and side-effect free: it reads the mapping set, value tables and rates, and
writes nothing. Every problem is collected (not just the first) as a FieldError whose message
a finance person can act on, e.g. "Invoice line 2: unit price 'abc' is not a number".
`mapping_apply_or_raise` turns errors into a MappingError, which the sync engine dead-letters
with that reason (replayable once the data or the mapping is fixed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from .conditions import condition_holds, condition_targets
from .context import DatabaseContext, MappingContext
from .errors import FieldError, MappingError
from .functions import Env, TransformError, blank, show
from .models import FieldMapping, MappingSet
from .paths import MISSING, path_get, path_set
from .selectors import mapping_set_published
from .transforms import TRANSFORMS
from .validation import node_problems

__all__ = ["apply", "mapping_apply_or_raise", "mapping_set_published", "plan_build", "plan_apply", "Plan"]


@dataclass
class Node:
    """One field mapping, detached from the ORM (so a plan is built once and applied many times)."""

    id: int | None
    kind: str
    target_field: str
    source_path: str = ""
    transforms: list = field(default_factory=list)
    default: object = None
    required: bool = False
    max_length: int | None = None
    on_too_long: str = FieldMapping.TooLong.TRUNCATE
    condition: dict | None = None
    label: str = ""
    item_label: str = ""
    children: list[Node] = field(default_factory=list)

    @property
    def words(self) -> str:
        return self.label or self.target_field.replace("_", " ").replace(".", " ")

    @classmethod
    def from_model(cls, fm: FieldMapping) -> Node:
        return cls(
            id=fm.pk, kind=fm.kind, target_field=fm.target_field, source_path=fm.source_path,
            transforms=fm.transforms or [], default=fm.default, required=fm.required, max_length=fm.max_length,
            on_too_long=fm.on_too_long, condition=fm.condition, label=fm.label, item_label=fm.item_label,
        )


@dataclass
class Plan:
    mapping_set: MappingSet | None
    nodes: list[Node]


def plan_build(mapping_set: MappingSet) -> Plan:
    rows = list(FieldMapping.objects.filter(mapping_set=mapping_set).order_by("order", "id"))
    nodes = {fm.pk: Node.from_model(fm) for fm in rows}
    top = []
    for fm in rows:
        parent = nodes.get(fm.parent_id)
        (parent.children if parent else top).append(nodes[fm.pk])
    return Plan(mapping_set, top)


def apply(mapping_set: MappingSet | str, source_record: dict, *, context: MappingContext | None = None):
    """Map one source record. Returns (target_payload, errors); errors is a list of FieldError."""
    if isinstance(mapping_set, str):
        mapping_set = mapping_set_published(mapping_set)
    return plan_apply(plan_build(mapping_set), source_record, context=context)


def mapping_apply_or_raise(mapping_set: MappingSet | str, source_record: dict, *, context=None) -> dict:
    """The payload, or MappingError carrying every field error."""
    payload, errors = apply(mapping_set, source_record, context=context)
    if errors:
        raise MappingError(errors)
    return payload


def plan_apply(plan: Plan, source_record, *, context: MappingContext | None = None):
    errors: list[FieldError] = []
    if not isinstance(source_record, dict):
        return {}, [FieldError("", f"The source record must be a JSON object, not {type(source_record).__name__}.")]
    ctx = context or DatabaseContext()
    payload = _map_scope(plan.nodes, source_record, source_record, ctx, "", "", errors)
    return jsonable(payload), errors


# -- one scope (the record, or one item of a list) ---------------------------------------
def _map_scope(nodes, record, root, ctx, where, target_prefix, errors) -> dict:
    out: dict = {}
    ordered, cyclic = _order(nodes)
    for node in cyclic:
        errors.append(_error(node, target_prefix, where, "is skipped: its condition depends on itself through "
                             "other fields' conditions (a cycle); fix the conditions"))
    for node in ordered:
        problems = node_problems(node)
        if problems:
            errors.append(_error(node, target_prefix, where, "cannot be mapped: the mapping is misconfigured: "
                                 + " ".join(problems)))
            continue
        if node.condition and not condition_holds(node.condition, record=record, root=root, targets=out):
            continue
        if node.kind == FieldMapping.Kind.LIST:
            _map_list(node, record, root, ctx, where, target_prefix, errors, out)
        else:
            _map_field(node, record, root, ctx, where, target_prefix, errors, out)
    return out


def _map_field(node, record, root, ctx, where, target_prefix, errors, out):
    value = path_get(record, node.source_path, root=root) if node.source_path else None
    value = None if value is MISSING else value
    env = Env(record=record, root=root, context=ctx)
    try:
        for step in node.transforms:
            value = TRANSFORMS[step["name"]].func(value, env, **(step.get("args") or {}))
    except TransformError as exc:
        errors.append(_error(node, target_prefix, where, exc.message, exc.value, fix=exc.fix))
        return
    if blank(value):
        if node.default is not None:
            value = node.default
        elif node.required:
            source = f" ({node.source_path} is empty)" if node.source_path else ""
            errors.append(_error(node, target_prefix, where, f"is required but has no value{source}"))
            return
        else:
            return
    if node.max_length and isinstance(value, str) and len(value) > node.max_length:
        if node.on_too_long == FieldMapping.TooLong.FAIL:
            errors.append(_error(node, target_prefix, where, f"{show(value)} is {len(value)} characters long, "
                                 f"more than the {node.max_length} allowed", value))
            return
        value = value[: node.max_length]
    path_set(out, node.target_field, value)


def _map_list(node, record, root, ctx, where, target_prefix, errors, out):
    items = path_get(record, node.source_path, root=root)
    if isinstance(items, dict) and isinstance(items.get("records"), list):
        items = items["records"]  # a Salesforce child relationship (nested QueryResult)
    if items is MISSING or items is None:
        items = []
    if not isinstance(items, list):
        errors.append(_error(node, target_prefix, where, f"expects a list at {node.source_path}, "
                             f"found {type(items).__name__}"))
        return
    if not items and node.required:
        errors.append(_error(node, target_prefix, where, f"needs at least one item ({node.source_path} is empty)"))
        return
    label = node.item_label or node.words
    result = []
    for i, item in enumerate(items):
        item_where = f"{where}{label} {i + 1}: "
        item_prefix = f"{target_prefix}{node.target_field}[{i}]."
        if not isinstance(item, dict):
            errors.append(FieldError(item_prefix.rstrip("."), _sentence(f"{item_where}is not an object"), item))
            continue
        result.append(_map_scope(node.children, item, root, ctx, item_where, item_prefix, errors))
    path_set(out, node.target_field, result)


def _order(nodes: list[Node]) -> tuple[list[Node], list[Node]]:
    """Nodes in order, moving a node after the siblings its condition reads; (ordered, in a cycle)."""
    by_target = {n.target_field: n for n in nodes}

    def deps(n):
        found = set()
        for t in condition_targets(n.condition):
            for target, other in by_target.items():
                if other is not n and (t == target or t.startswith(target + ".") or target.startswith(t + ".")):
                    found.add(id(other))
        return found

    pending = {id(n): deps(n) for n in nodes}
    ordered, done = [], set()
    progress = True
    while progress:
        progress = False
        for n in nodes:
            if id(n) not in done and pending[id(n)] <= done:
                ordered.append(n)
                done.add(id(n))
                progress = True
                break  # restart from the top to keep the configured order stable
    return ordered, [n for n in nodes if id(n) not in done]


def _error(node: Node, target_prefix: str, where: str, message: str, value=None, fix=None) -> FieldError:
    return FieldError(f"{target_prefix}{node.target_field}", _sentence(f"{where}{node.words} {message}"), value,
                      fix=fix or {})


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def jsonable(value):
    """Decimals as exact strings, dates as ISO 8601 (UTC date-times end in Z)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() == timezone.utc.utcoffset(None):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
