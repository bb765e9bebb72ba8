"""query / queryAll / queryMore."""
from __future__ import annotations

from ..errors import SfApiError
from ..org import org_get
from ..soql import soql_execute
from ..soql.paging import query_more
from .call import Call, Reply


def _run(call: Call, *, include_deleted: bool) -> Reply:
    text = call.params.get("q")
    if not text:
        raise SfApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    org = org_get()
    return Reply(200, soql_execute(text, include_deleted=include_deleted, multi_currency=org.multi_currency,
                                   version=call.version, page_size=org.query_page_size,
                                   empty_subquery_null=org.empty_subquery_null))


def run(call: Call) -> Reply:
    return _run(call, include_deleted=False)


def run_all(call: Call) -> Reply:
    return _run(call, include_deleted=True)


def more(call: Call, identifier: str) -> Reply:
    return Reply(200, query_more(identifier, version=call.version, page_size=org_get().query_page_size))
