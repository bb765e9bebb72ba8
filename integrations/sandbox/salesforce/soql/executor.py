"""Run a parsed SOQL query against the stored records and render the real QueryResult:
attributes, parent objects nested by relationship name, child subqueries as nested
QueryResults (paged like the top level), COUNT() totals."""
from __future__ import annotations

from ..ids import id_normalise
from ..models import SfRecord
from ..catalog import sobject_view
from ..schema import Field, SObject
from .filters import FilterCompiler, field_value
from .lexer import pointer_error
from .paging import result_page
from .parser import BoolOp, Comparison, FieldRef, Literal, Query, Subquery, soql_parse


def _invalid_field(query: Query, ref: FieldRef, obj: SObject) -> Exception:
    name = ".".join(ref.path)
    return pointer_error(query.text, ref.pos, "INVALID_FIELD",
                         f"No such column '{ref.path[-1]}' on entity '{obj.name}'. If you are attempting to use a custom "
                         f"field, be sure to append the '__c' after the custom field name. Please reference your WSDL "
                         f"or the describe call for the appropriate names." if len(ref.path) == 1 else
                         f"Didn't understand relationship '{name.rsplit('.', 1)[0]}' in field path. If you are attempting "
                         "to use a custom relationship, be sure to append the '__r' after the custom relationship name.")


class Resolver:
    """Field paths → (relationship hops, final field), validated against the schema."""

    def __init__(self, query: Query, multi_currency: bool):
        self.query, self.multi_currency = query, multi_currency

    def obj(self, name: str) -> SObject | None:
        return sobject_view(name)

    def resolve(self, obj: SObject, ref: FieldRef) -> tuple[list[tuple[Field, SObject]], Field]:
        path = list(ref.path)
        if len(path) > 1 and path[0].lower() == obj.name.lower() and obj.parent_field(path[0]) is None:
            path = path[1:]
        hops, current = [], obj
        for part in path[:-1]:
            ref_field = current.parent_field(part)
            target = self.obj(ref_field.reference_to) if ref_field else None
            if target is None:
                raise _invalid_field(self.query, ref, current)
            hops.append((ref_field, target))
            current = target
        final = current.field(path[-1])
        if final is None:
            raise _invalid_field(self.query, FieldRef([path[-1]], ref.pos), current)
        return hops, final


class Executor:
    def __init__(self, query: Query, *, include_deleted: bool, multi_currency: bool, version: str):
        self.query, self.include_deleted, self.version = query, include_deleted, version
        self.resolver = Resolver(query, multi_currency)
        self.cache: dict[str, SfRecord | None] = {}
        # Child records of each subquery, grouped by parent id once per query (not once per parent).
        self.children: dict[int, dict[str, list[SfRecord]]] = {}
        self.parent_ids: list[str] | None = None  # the top-level rows' ids, once known

    def lookup(self, sf_id: str | None) -> SfRecord | None:
        if not sf_id:
            return None
        if sf_id not in self.cache:
            self.cache[sf_id] = SfRecord.objects.filter(sf_id=sf_id).first()
        return self.cache[sf_id]

    def rows(self, obj: SObject, query: Query, *, parent_filter: tuple[str, str] | None = None) -> list[SfRecord]:
        if parent_filter:
            rows = self._children_of(obj, query, *parent_filter)
        else:
            records = SfRecord.objects.filter(sobject=obj.name)
            if not self.include_deleted:
                records = records.filter(is_deleted=False)
            ids = _id_narrowing(query.where)
            if ids is not None:  # WHERE Id = … / Id IN (…): read those rows only (the predicate still applies)
                records = records.filter(sf_id__in=ids)
            rows = list(records.order_by("pk"))
        if query.where is not None:
            predicate = FilterCompiler(self, obj, query).compile(query.where)
            rows = [r for r in rows if predicate(r)]
        for item in reversed(query.order_by):
            hops, final = self.resolver.resolve(obj, item.field)
            rows = self._sorted(rows, hops, final, item)
        start = query.offset or 0
        return rows[start: start + query.limit if query.limit is not None else None]

    def _children_of(self, obj: SObject, query: Query, field: str, parent_id: str) -> list[SfRecord]:
        groups = self.children.get(id(query))
        if groups is None:
            records = SfRecord.objects.filter(sobject=obj.name)
            if not self.include_deleted:
                records = records.filter(is_deleted=False)
            if self.parent_ids is not None and len(self.parent_ids) <= 1000:
                records = records.filter(**{f"fields__{field}__in": self.parent_ids})  # few parents: their children only
            groups = {}
            for record in records.order_by("pk"):
                groups.setdefault(record.fields.get(field), []).append(record)
            self.children[id(query)] = groups
        return list(groups.get(parent_id, []))

    def _sorted(self, rows, hops, final, item) -> list[SfRecord]:
        nulls_last = item.nulls_last if item.nulls_last is not None else item.descending
        present = [r for r in rows if field_value(self, r, hops, final) is not None]
        missing = [r for r in rows if field_value(self, r, hops, final) is None]

        def key(record):
            value = field_value(self, record, hops, final)
            return value.lower() if isinstance(value, str) else value

        present.sort(key=key, reverse=item.descending)
        return present + missing if nulls_last else missing + present

    # -- rendering ----------------------------------------------------------------------------
    def attributes(self, obj_name: str, sf_id: str) -> dict:
        return {"type": obj_name, "url": f"/services/data/v{self.version}/sobjects/{obj_name}/{sf_id}"}

    def render(self, obj: SObject, query: Query, record: SfRecord, page_size: int, empty_null: bool) -> dict:
        out = {"attributes": self.attributes(obj.name, record.sf_id)}
        for item in query.select:
            if isinstance(item, Subquery):
                rel = obj.child(item.query.sobject)
                child_obj = self.resolver.obj(rel.child)
                children = self.rows(child_obj, item.query, parent_filter=(rel.field, record.sf_id))
                rendered = [self.render(child_obj, item.query, c, page_size, empty_null) for c in children]
                out[rel.name] = None if not rendered and empty_null else result_page(
                    rendered, len(rendered), self.version, page_size)
                continue
            hops, final = self.resolver.resolve(obj, item)
            self._put(out, record, hops, final)
        return out

    def _put(self, out: dict, record: SfRecord, hops, final: Field) -> None:
        target, current = out, record
        for ref_field, parent_obj in hops:
            name = ref_field.relationship_name
            current = self.lookup(current.fields.get(ref_field.name)) if current else None
            if current is None:
                target.setdefault(name, None)
                return
            if not isinstance(target.get(name), dict):
                target[name] = {"attributes": self.attributes(parent_obj.name, current.sf_id)}
            target = target[name]
        target[final.name] = current.fields.get(final.name) if current else None

    def validate(self, obj: SObject, query: Query) -> None:
        for item in query.select:
            if isinstance(item, Subquery):
                rel = obj.child(item.query.sobject)
                if rel is None:
                    raise pointer_error(query.text, item.query.sobject_pos, "INVALID_TYPE",
                                        f"Didn't understand relationship '{item.query.sobject}' in FROM part of query "
                                        "call. If you are attempting to use a custom relationship, be sure to append "
                                        "the '__r' after the custom relationship name.")
                self.validate(self.resolver.obj(rel.child), item.query)
            else:
                self.resolver.resolve(obj, item)
        if query.where is not None:
            FilterCompiler(self, obj, query).compile(query.where)
        for order in query.order_by:
            self.resolver.resolve(obj, order.field)


def _id_narrowing(where) -> list[str] | None:
    """The ids a WHERE clause cannot reach beyond (a top-level Id = / Id IN conjunct), or None."""
    conjuncts = where.items if isinstance(where, BoolOp) and where.op == "AND" else [where]
    for node in conjuncts:
        if isinstance(node, Comparison) and [p.lower() for p in node.field.path] == ["id"] and node.op in ("=", "IN"):
            literals = node.value if isinstance(node.value, list) else [node.value]
            if all(isinstance(lit, Literal) and lit.kind == "string" for lit in literals):
                return [id_normalise(str(lit.value)) or str(lit.value) for lit in literals]
    return None


def soql_execute(text: str, *, include_deleted: bool = False, multi_currency: bool = False, version: str,
                 page_size: int, empty_subquery_null: bool = True) -> dict:
    """Parse, validate and run a query; the first page of the QueryResult."""
    query = soql_parse(text)
    obj = sobject_view(query.sobject)
    if obj is None:
        raise pointer_error(text, query.sobject_pos, "INVALID_TYPE",
                            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a custom "
                            "object, be sure to append the '__c' after the entity name. Please reference your WSDL or "
                            "the describe call for the appropriate names.")
    executor = Executor(query, include_deleted=include_deleted, multi_currency=multi_currency, version=version)
    executor.validate(obj, query)
    rows = executor.rows(obj, query)
    executor.parent_ids = [r.sf_id for r in rows]
    if query.count:
        return {"totalSize": len(rows), "done": True, "records": []}
    records = [executor.render(obj, query, r, page_size, empty_subquery_null) for r in rows]
    return result_page(records, len(records), version, page_size)
