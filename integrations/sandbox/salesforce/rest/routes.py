"""Route table of /services/data/vXX.X/…: (pattern, {method: handler}).

Handlers take (call, **groups) and return a Reply. The same table serves HTTP requests
and composite subrequests, so both behave identically.
"""
from __future__ import annotations

import re

from ..errors import SfApiError, not_found
from . import batch, collections, composite, meta, query, records, tooling, tree
from .call import Call, Reply

V = r"^v(?P<version>\d{2,3}\.\d)/"
ROUTES: list[tuple[re.Pattern, dict]] = [(re.compile(p), h) for p, h in [
    (V + r"?$", {"GET": meta.resources}),
    (V + r"limits/?$", {"GET": meta.limits}),
    (V + r"query/?$", {"GET": query.run}),
    (V + r"queryAll/?$", {"GET": query.run_all}),
    (V + r"(?:query|queryAll)/(?P<identifier>[^/]+)/?$", {"GET": query.more}),
    (V + r"sobjects/?$", {"GET": meta.describe_global}),
    (V + r"sobjects/(?P<sobject>\w+)/?$", {"GET": meta.sobject_info, "POST": records.create}),
    (V + r"sobjects/(?P<sobject>\w+)/describe/?$", {"GET": meta.describe}),
    (V + r"sobjects/(?P<sobject>\w+)/updated/?$", {"GET": meta.updated}),
    (V + r"sobjects/(?P<sobject>\w+)/deleted/?$", {"GET": meta.deleted}),
    (V + r"sobjects/(?P<sobject>\w+)/(?P<record_id>[^/]+)/?$",
     {"GET": records.read, "PATCH": records.update, "DELETE": records.delete}),
    (V + r"sobjects/(?P<sobject>\w+)/(?P<field>\w+)/(?P<value>[^/]+)/?$",
     {"GET": records.read_by_external_id, "PATCH": records.upsert, "DELETE": records.delete_by_external_id}),
    (V + r"composite/?$", {"POST": composite.run}),
    (V + r"composite/batch/?$", {"POST": batch.run}),
    (V + r"composite/tree/(?P<sobject>\w+)/?$", {"POST": tree.run}),
    (V + r"composite/sobjects/?$",
     {"POST": collections.create, "PATCH": collections.update, "DELETE": collections.delete}),
    (V + r"composite/sobjects/(?P<sobject>\w+)/?$", {"GET": collections.retrieve, "POST": collections.retrieve}),
    (V + r"composite/sobjects/(?P<sobject>\w+)/(?P<field>\w+)/?$", {"PATCH": collections.upsert}),
    (V + r"tooling/sobjects/CustomField/?$", {"POST": tooling.custom_field_create}),
    (V + r"tooling/query/?$", {"GET": tooling.query}),
    (V + r"event/eventSchema/(?P<schema>[^/]+)/?$", {"GET": meta.event_schema}),
]]
OLDEST_VERSION = 31.0


def route_find(path: str, method: str):
    """(handler, groups) for a path after /services/data/, or an SfApiError."""
    for pattern, handlers in ROUTES:
        match = pattern.match(path)
        if match:
            if float(match.group("version")) < OLDEST_VERSION:
                raise SfApiError(410, "API_VERSION_RETIRED",
                                 f"API version {match.group('version')} is retired; use {OLDEST_VERSION} or later.")
            handler = handlers.get(method.upper())
            if handler is None:
                raise SfApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method.upper()}' not allowed. "
                                                            f"Allowed are {','.join(sorted(handlers))}")
            return handler, match.groupdict()
    raise not_found()


def dispatch(call: Call, path: str) -> Reply:
    handler, groups = route_find(path, call.method)
    call.version = groups.pop("version")
    return handler(call, **groups)
