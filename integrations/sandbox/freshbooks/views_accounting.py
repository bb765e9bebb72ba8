"""/accounting/account/<account_id>/<section>/<collection>[/<id>]: the accounting API."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from .kinds import KINDS_BY_PATH, Kind
from .models import SimObject
from .protocol import ACCOUNTING, ApiFailure, accounting_error, api, json_body, respond, result, scope_require, wrapped
from .scopes import scope_for_path
from .query import Query, updated_day
from .records import record_create, record_delete, record_render, record_update


def _kind(section: str, collection: str) -> Kind:
    kind = KINDS_BY_PATH.get(f"{section}/{collection}")
    if kind is None:
        raise ApiFailure(accounting_error(404, 1012, f"Unknown resource '{section}/{collection}'.",
                                          field="path", value=f"{section}/{collection}"))
    return kind


def _object(account, kind: Kind, object_id: str) -> SimObject:
    obj = None
    if object_id.isdigit():
        obj = SimObject.objects.select_related("account").filter(account=account, kind=kind.name, pk=object_id).first()
    if obj is None:
        raise ApiFailure(accounting_error(404, 1012, f"{kind.name.replace('_', ' ').capitalize()} not found.",
                                          field=kind.id_fields[-1], obj=kind.name, value=object_id))
    return obj


def _scope_check(token, account, section: str, collection: str, method: str) -> None:
    needed = scope_for_path(f"{section}/{collection}", method, items_object=account.option("items_scope_object"))
    scope_require(token, needed, ACCOUNTING)


def _includes(request) -> tuple[str, ...]:
    return tuple(request.GET.getlist("include[]"))


@api(ACCOUNTING)
def collection(request, section, collection, *, token, account):
    kind = _kind(section, collection)
    _scope_check(token, account, section, collection, request.method)
    if request.method == "GET":
        return result(_list(kind, account, request.GET))
    if request.method == "POST":
        values = wrapped(json_body(request, ACCOUNTING), kind.name, ACCOUNTING)
        obj = record_create(account=account, kind=kind, values=values, actor=token.user)
        return result({kind.name: record_render(obj, includes=_includes(request))})
    return _not_allowed(request, kind)


@api(ACCOUNTING)
def member(request, section, collection, object_id, *, token, account):
    kind = _kind(section, collection)
    _scope_check(token, account, section, collection, request.method)
    obj = _object(account, kind, object_id)
    if request.method == "GET":
        return result({kind.name: record_render(obj, includes=_includes(request))})
    if request.method == "PUT":
        values = wrapped(json_body(request, ACCOUNTING), kind.name, ACCOUNTING)
        if "vis_state" in values and not kind.delete_by_put and not kind.has_vis_state:
            raise ApiFailure(accounting_error(422, 1004, f"{kind.plural.capitalize()} are deleted with HTTP DELETE.",
                                              field="vis_state", obj=kind.name, value=values["vis_state"]))
        obj = record_update(account=account, kind=kind, obj=obj, values=values, actor=token.user)
        return result({kind.name: record_render(obj, includes=_includes(request))})
    if request.method == "DELETE" and kind.delete_by_http:
        record_delete(account=account, kind=kind, obj=obj, actor=token.user)
        return respond({"response": {}})
    return _not_allowed(request, kind)


def _not_allowed(request, kind: Kind):
    hint = " Delete by updating vis_state to 1." if request.method == "DELETE" and kind.delete_by_put else ""
    response = accounting_error(405, 1003, f"{request.method} is not allowed on {kind.plural}.{hint}", obj=kind.name)
    response["Allow"] = "GET, POST, PUT" + (", DELETE" if kind.delete_by_http else "")
    return response


def _list(kind: Kind, account, params) -> dict:
    query = Query(kind, params)
    rows = SimObject.objects.select_related("account").filter(account=account, kind=kind.name)
    states = query.vis_states()
    if states is not None:
        rows = rows.filter(vis_state__in=states)
    rows = _narrowed(rows, kind, query)
    records = []
    for obj in rows.order_by("id"):
        record = record_render(obj, includes=query.includes)
        if query.matches(record, updated_day(obj)):
            records.append(record)
    field, descending = query.sort_key()
    if field and records and field in records[0]:
        records.sort(key=lambda r: _sortable(r.get(field)), reverse=descending)
    return query.page_of(records)


# Reference fields an equality filter can narrow in the database first (the full match still
# runs on each rendered record): a customer's invoices must not render the whole account's.
NARROWING_FIELDS = {"customerid", "clientid", "invoiceid"}


def _narrowed(rows, kind: Kind, query: Query):
    for name, value in query.filters:
        field = kind.filter_aliases.get(name, name)
        if field in NARROWING_FIELDS and isinstance(value, str) and value.strip().isdigit():
            rows = rows.filter(Q(**{f"data__{field}": int(value)}) | Q(**{f"data__{field}": value.strip()}))
    return rows


def _sortable(value):
    """Amounts and ids sort as numbers, everything else as text; missing values last."""
    if isinstance(value, dict):
        value = Decimal(str(value.get("amount") or 0))
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return (0, Decimal(value), "")
    return (1 if value is None else 0, Decimal(0), str(value))


@api(ACCOUNTING)
def unknown(request, rest, *, token, account):
    raise ApiFailure(accounting_error(404, 1012, f"Unknown resource '{rest}'.", field="path", value=rest))
