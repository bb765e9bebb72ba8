"""The FreshBooks accounting resources the reference documents, by their singular name
(client, invoice, item, payment, expense, tax), for generic flows (connectors/objects.py).
Their shapes are the small schemas of schemas.py; archiving is vis_state 2 (hidden, kept)."""
from __future__ import annotations

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.schemas import SCHEMAS
from integrations.connectors.objects import ObjectAccess, Written, object_unknown
from integrations.errors import FatalError

# object name → client resource (resources.py RESOURCES)
RESOURCES = {"client": "clients", "invoice": "invoices", "item": "items", "payment": "payments",
             "expense": "expenses", "tax": "taxes"}
SCHEMAS_BY_OBJECT = {s.object: s for s in SCHEMAS if s.object in RESOURCES}
ARCHIVABLE = {"client", "invoice", "item", "payment", "expense"}  # taxes have no vis_state (reference §3.7)


class FreshBooksObjects(ObjectAccess):
    archives = True

    def _api(self, connection, name: str):
        if name not in RESOURCES:
            raise object_unknown("freshbooks", name, list(RESOURCES))
        return getattr(FreshBooksClient(connection), RESOURCES[name])

    def objects(self, connection) -> list[str]:
        return sorted(RESOURCES)

    def schema(self, connection, name: str):
        if name not in SCHEMAS_BY_OBJECT:
            raise object_unknown("freshbooks", name, list(SCHEMAS_BY_OBJECT))
        return SCHEMAS_BY_OBJECT[name]

    def get(self, connection, name: str, record_id: str, *, children: tuple[str, ...] = ()) -> dict | None:
        try:
            record = self._api(connection, name).get(record_id)
        except FatalError as exc:
            if exc.http_status == 404:
                return None
            raise
        return None if str(record.get("vis_state", 0)) == "1" else record

    def find(self, connection, name: str, field: str, value) -> list[str]:
        if value in (None, ""):
            return []
        found = self._api(connection, name).list(search={field: value}, per_page=10, include=()).items
        # compared here too: a search the API ignored must not pass as a match
        return [str(r["id"]) for r in found if str(r.get(field) or "") == str(value)]

    def create(self, connection, name: str, data: dict) -> Written:
        record = self._api(connection, name).create(data)
        return Written(str(record["id"]), record)

    def update(self, connection, name: str, record_id: str, data: dict) -> Written:
        record = self._api(connection, name).update(record_id, data)
        return Written(str(record["id"]), record)

    def archive(self, connection, name: str, record_id: str) -> bool:
        if name not in ARCHIVABLE:
            return False
        self._api(connection, name).update(record_id, {"vis_state": 2}, include=())
        return True

    def version(self, name: str, record: dict) -> str:
        return str(record.get("updated") or "")
