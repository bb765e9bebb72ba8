"""What the flows being checked need of each connection: their own declarations (a handler's
``requirements`` and ``mapping_steps``), the custom fields declared for their kinds, and the target
fields and value-table codes of the mapping sets they use (connectors/preflight.py ``Needs``)."""
from __future__ import annotations

from integrations.connectors.preflight import Needs, SalesforceField
from integrations.connectors.registry import CONNECTORS
from integrations.errors import UnknownFlowKind
from integrations.flows.registry import flow_handler_class, flow_mapping_sets
from integrations.models import Connection, Flow
from mappings.models import FieldMapping, MappingSet, ValueTable


def flow_connections(flow: Flow) -> list[Connection]:
    """The flow's source and target, and the connections its settings name ("<system>_connection")."""
    found = [c for c in (flow.source_connection, flow.target_connection) if c is not None]
    for system in CONNECTORS:
        named = (flow.settings or {}).get(f"{system}_connection")
        if named and not any(c.system == system for c in found):
            connection = Connection.objects.filter(name=named, system=system).first()
            if connection is not None:
                found.append(connection)
    return found


def mapping_targets(mapping_set: MappingSet) -> list[tuple[str, list[str]]]:
    """(target path, value tables its transforms look up) of each mapping, children with their parents' path."""
    rows = list(mapping_set.field_mappings.all())
    by_id = {row.pk: row for row in rows}

    def path(row: FieldMapping) -> str:
        parent = by_id.get(row.parent_id)
        return f"{path(parent)}.{row.target_field}" if parent is not None else row.target_field

    out = []
    for row in rows:
        tables = [str(t["args"]["table"]) for t in row.transforms or []
                  if isinstance(t, dict) and isinstance(t.get("args"), dict) and t["args"].get("table")]
        out.append((path(row), tables))
    return out


def _leaf(path: str) -> str:
    return path.split(".")[-1].split("[")[0]


# -- what the flows need of each connection ------------------------------------------------------
def needs_collect(flows) -> dict[int, Needs]:
    """Per connection id: what these flows need of it (their declarations and their mapping sets)."""
    out: dict[int, Needs] = {}
    for flow in flows:
        try:
            handler = flow_handler_class(flow.kind)(flow)
        except UnknownFlowKind:
            continue  # the flow's own check names it
        req = handler.requirements
        connections = flow_connections(flow)
        for connection in connections:
            needs = out.setdefault(connection.pk, Needs())
            needs.flows.append(flow.name)
            needs.flow_kinds.setdefault(flow.kind, flow.name)
            is_source = connection.pk == flow.source_connection_id
            if connection.system == "salesforce":
                if is_source and flow.trigger == Flow.Trigger.CHANGE_EVENT:
                    needs.change_events.setdefault(flow.source_object, flow.name)
            elif connection.system == "freshbooks":
                for scope in req.freshbooks_scopes:
                    needs.freshbooks_scopes.setdefault(scope, flow.name)
                if is_source and flow.trigger == Flow.Trigger.WEBHOOK:
                    needs.freshbooks_events.setdefault(flow.source_object, flow.name)
            elif connection.system == "infor":
                for name in req.infor_settings:
                    needs.infor_settings.setdefault(name, flow.name)
                for name, m3_field in req.infor_code_settings:
                    needs.code_add(m3_field, handler.setting(name), f"flow {flow.name}, setting {name}")
        for _step, name, mapping_set in flow_mapping_sets(flow):
            if mapping_set is None:
                continue
            target = next((c for c in connections if c.system == mapping_set.target_system), None)
            if target is None:
                continue
            needs = out[target.pk]
            for path, tables in mapping_targets(mapping_set):
                if target.system == "salesforce" and "." not in path:
                    needs.field_add(SalesforceField(mapping_set.target_object, path, ""), f"mapping set {name}")
                if target.system == "infor":
                    for table in ValueTable.objects.filter(name__in=tables).prefetch_related("entries"):
                        for entry in table.entries.all():
                            needs.code_add(_leaf(path), entry.target_value, f"value table {table.name}")
                        needs.code_add(_leaf(path), table.default_value, f"value table {table.name} (default)")
    return out


def enabled_flows_of(connection: Connection) -> list[Flow]:
    flows = Flow.objects.filter(enabled=True).select_related("source_connection", "target_connection", "mapping_set")
    return [f for f in flows if any(c.pk == connection.pk for c in flow_connections(f))]
