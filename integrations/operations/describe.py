"""Read objects' shapes from a system (Salesforce describe) and keep them, so the mapping schemas,
the mapping canvas and the checks of generic flows know objects Ledgerlink ships no schema for
(a custom object Project__c, say). Run outside any request's transaction: the read is a remote
call, and the sandbox simulator answers from the same database."""
from __future__ import annotations

from integrations.connectors.objects import ObjectUnknown
from integrations.connectors.registry import record_access_for
from integrations.errors import SyncError
from integrations.models import Connection


def objects_describe(*, connection: Connection, names: list[str]) -> list[str]:
    """One sentence per object: described with its field count, or why not (naming what exists)."""
    access = record_access_for(connection.system)
    if access is None:
        return [f"{connection.system} offers no generic object access."]
    said = []
    for name in names:
        try:
            schema = access.schema(connection, name)
        except ObjectUnknown as exc:
            said.append(str(exc))
            continue
        except SyncError as exc:  # not connected, unreachable, refused: say so, describe the others
            said.append(f"{connection.system} {name}: not described — {exc}")
            continue
        said.append(f"{connection.system} {schema.object}: {len(schema.fields)} fields.")
    return said
