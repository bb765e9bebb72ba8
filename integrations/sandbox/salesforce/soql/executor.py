"""Run a parsed SOQL query against the stored records and render the real QueryResult:
attributes, parent objects nested by relationship name, child subqueries as nested
QueryResults (paged like the top level), COUNT() totals, AggregateResult rows (aggregate.py),
FIELDS() expanded against the object and toLabel() values."""
from __future__ import annotations

from ..ids import id_normalise
from ..models import SfRecord
from ..catalog import sobject_view
from ..schema import Field, SObject
from .aggregate import aggregate_rows, aggregate_validate
from .filters import FilterCompiler, field_value
from .lexer import malformed, pointer_error
from .paging import result_page
from .parser import BoolOp, Comparison, FieldRef, FieldsGroup, LabelRef, Literal, Query, Subquery, soql_parse

FIELDS_MIN_VERSION = 51.0  # FIELDS() exists from API 51.0 (SOQL reference, "FIELDS()")
FIELDS_UNBOUNDED_LIMIT = 200  # FIELDS(ALL) and FIELDS(CUSTOM) need LIMIT n with n ≤ 200


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
        self.stage_labels: dict | None = None  # toLabel(StageName): ApiName → MasterLabel

    def lookup(self, sf_id: str | None) -> SfRecord | None:
        if not sf_id:
            return None
        if sf_id not in self.cache:
            self.cache[sf_id] = SfRecord.objects.filter(sf_id=sf_id).first()
        return self.cache[sf_id]

    def rows(self, obj: SObject, query: Query, *, parent_filter: tuple[str, str] | None = None,
             window: bool = True) -> list[SfRecord]:
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
        if not window:
            return rows
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
            if isinstance(item, LabelRef):
                hops, final = self.resolver.resolve(obj, item.field)
                self._put(out, record, hops, final, key=item.alias, label=True)
                continue
            hops, final = self.resolver.resolve(obj, item)
            self._put(out, record, hops, final)
        return out

    def label(self, final: Field, value):
        """toLabel(): a picklist value's label (stages have their own; other values are their label)."""
        if value is None or final.name != "StageName":
            return value
        if self.stage_labels is None:  # read once per query, not once per row
            self.stage_labels = {s.fields.get("ApiName"): s.fields.get("MasterLabel")
                                 for s in SfRecord.objects.filter(sobject="OpportunityStage")}
        return self.stage_labels.get(value, value)

    def _put(self, out: dict, record: SfRecord, hops, final: Field, *, key: str | None = None,
             label: bool = False) -> None:
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
        value = current.fields.get(final.name) if current else None
        target[key or final.name] = self.label(final, value) if label else value

    def expand(self, obj: SObject, query: Query) -> None:
        """FIELDS(ALL|STANDARD|CUSTOM) becomes the object's field list; the same field twice is refused."""
        groups = [item for item in query.select if isinstance(item, FieldsGroup)]
        if groups and float(self.version) < FIELDS_MIN_VERSION:
            raise pointer_error(query.text, groups[0].pos, "UNSUPPORTED_API_VERSION",
                                "The SOQL FIELDS function is not supported in this version of the API")
        unbounded = [g for g in groups if g.kind in ("ALL", "CUSTOM")]
        if unbounded and (query.limit is None or query.limit > FIELDS_UNBOUNDED_LIMIT):
            raise malformed(query.text, unbounded[0].pos,
                            f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_UNBOUNDED_LIMIT}")
        select, seen = [], set()
        for item in query.select:
            refs = [item]
            if isinstance(item, FieldsGroup):
                refs = [FieldRef([f.name], item.pos) for f in obj.fields
                        if item.kind == "ALL" or (item.kind == "CUSTOM") == f.name.endswith("__c")]
            for ref in refs:
                if isinstance(ref, FieldRef) and ref.alias is None:
                    key = ".".join(ref.path).lower()
                    if key in seen and groups:
                        raise pointer_error(query.text, ref.pos, "INVALID_FIELD",
                                            f"duplicate field selected: {'.'.join(ref.path)}")
                    seen.add(key)
                select.append(ref)
        query.select = select

    def validate(self, obj: SObject, query: Query) -> None:
        self.expand(obj, query)
        if query.aggregated:
            aggregate_validate(self, obj, query)
            if query.where is not None:
                FilterCompiler(self, obj, query).compile(query.where)
            return
        for item in query.select:
            if isinstance(item, FieldRef) and item.alias:
                raise malformed(query.text, item.pos, "only aggregate expressions use field aliasing")
            if isinstance(item, LabelRef):
                _, final = self.resolver.resolve(obj, item.field)
                if final.type != "picklist":
                    raise malformed(query.text, item.pos, f"toLabel() can only be used on picklist fields: {final.name}")
                continue
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
    if query.aggregated:
        records = aggregate_rows(executor, obj, query, executor.rows(obj, query, window=False), executor.label)
        return result_page(records, len(records), version, page_size)
    rows = executor.rows(obj, query)
    executor.parent_ids = [r.sf_id for r in rows]
    if query.count:
        return {"totalSize": len(rows), "done": True, "records": []}
    records = [executor.render(obj, query, r, page_size, empty_subquery_null) for r in rows]
    return result_page(records, len(records), version, page_size)
