"""Configuration checks, run on save, before publishing and before an import changes anything."""
from __future__ import annotations

from .conditions import condition_validate
from .paths import PathSyntaxError, path_is_root, path_parse
from .schemas import Schema, schema_for, schema_objects
from .transforms import transform_chain_validate, transform_tables

KINDS = ("field", "list")


def node_problems(node) -> list[str]:
    """Problems with one field mapping on its own (a FieldMapping row or an engine Node)."""
    problems = []
    if node.kind not in KINDS:
        problems.append(f"Unknown kind '{node.kind}' (use field or list).")
    try:
        path_parse(node.target_field)
        if path_is_root(node.target_field):
            problems.append("The target field cannot start with $root.")
    except PathSyntaxError as exc:
        problems.append(f"Target field: {exc}")
    if node.source_path:
        try:
            path_parse(node.source_path)
        except PathSyntaxError as exc:
            problems.append(f"Source path: {exc}")
    elif node.kind == "list":
        problems.append("A list mapping needs a source path to the list (e.g. OpportunityLineItems.records).")
    problems += transform_chain_validate(node.transforms)
    if node.condition not in (None, {}, ""):
        problems += [f"Condition: {p}" for p in condition_validate(node.condition)]
    if node.max_length is not None and node.max_length < 1:
        problems.append("The max length must be at least 1.")
    return problems


def mapping_set_problems(mapping_set, *, check_tables: bool = True) -> list[str]:
    """Every problem in a mapping set, each prefixed with the field it concerns."""
    from .engine import plan_build  # the engine imports this module

    problems, tables = nodes_problems(plan_build(mapping_set).nodes, target_system=mapping_set.target_system,
                                      target_object=mapping_set.target_object)
    if check_tables and tables:
        from .models import ValueTable

        existing = set(ValueTable.objects.filter(name__in=tables).values_list("name", flat=True))
        problems += [f"Value table '{t}' is used but does not exist." for t in sorted(tables - existing)]
    return problems


def nodes_problems(nodes, *, target_system: str, target_object: str) -> tuple[list[str], set[str]]:
    """Problems of a tree of nodes (saved or not), and the value tables it reads."""
    problems: list[str] = []
    tables: set[str] = set()
    schema = schema_for(target_system, target_object)
    objects = schema_objects(target_system) if schema is None else []
    if objects:  # a system we know the objects of, and this is none of them
        problems.append(f"{target_system} has no object '{target_object}'. Known: {', '.join(objects)}.")
    _scope_problems(nodes, "", schema, None, problems, tables)
    return problems, tables


def _scope_problems(nodes, prefix: str, schema: Schema | None, list_field, problems: list, tables: set):
    targets = [n.target_field for n in nodes]
    for dup in sorted({t for t in targets if targets.count(t) > 1}):
        problems.append(f"{prefix}{dup}: mapped more than once in the same place.")
    for node in nodes:
        where = f"{prefix}{node.target_field}: "
        problems += [where + p for p in node_problems(node)]
        tables |= transform_tables(node.transforms)
        if node.kind == "list" and not node.children:
            problems.append(where + "a list mapping needs child mappings (one per field of each item).")
        if node.kind != "list" and node.children:
            problems.append(where + "only list mappings can have child mappings.")
        if schema is not None and not _target_known(schema, list_field, node.target_field):
            known = ", ".join(schema.field_names())
            problems.append(where + f"{schema.system} {schema.object} has no such field. Known: {known}.")
        child_list = f"{list_field}.{node.target_field}" if list_field else node.target_field
        if node.children:
            _scope_problems(node.children, f"{prefix}{node.target_field}[].", schema, child_list, problems, tables)
    problems += _cycle_problems(nodes, prefix)


def _target_known(schema: Schema, list_field, target: str) -> bool:
    path = ".".join(p.split("[")[0] for p in target.split("."))
    try:
        return schema.accepts(f"{list_field}.{path}" if list_field else path)
    except Exception:
        return False


def _cycle_problems(nodes, prefix: str) -> list[str]:
    from .engine import _order

    _, cyclic = _order(nodes)
    if not cyclic:
        return []
    names = ", ".join(f"{prefix}{n.target_field}" for n in cyclic)
    return [f"The conditions of {names} depend on each other in a cycle; none of them could ever be mapped."]
