"""Batched writes: sObject Collections (≤ 200 records per call, chunked here, results mapped
back to each input record in order) and composite requests for dependent writes."""
from __future__ import annotations

from dataclasses import dataclass, field

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.errors import error_classify
from integrations.errors import SyncError

COLLECTION_LIMIT = 200
COMPOSITE_LIMIT = 25


@dataclass
class RecordResult:
    """The outcome for one input record (``index`` = its position in the input)."""

    index: int
    ok: bool
    id: str = ""
    created: bool | None = None
    error: SyncError | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class SubResult:
    reference_id: str
    status: int
    body: object
    error: SyncError | None = None

    @property
    def ok(self) -> bool:
        return self.status < 300


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def _map(start: int, rows: list, what: str) -> list[RecordResult]:
    results = []
    for offset, row in enumerate(rows or []):
        row = row or {}
        if row.get("success"):
            results.append(RecordResult(start + offset, True, row.get("id", ""), row.get("created"), raw=row))
        else:
            first = (row.get("errors") or [{"statusCode": "UNKNOWN_EXCEPTION", "message": "no error given"}])[0]
            results.append(RecordResult(start + offset, False, row.get("id", "") or "", None,
                                        error_classify(first, what=what), raw=row))
    return results


def _typed(sobject: str, record: dict) -> dict:
    return {"attributes": {"type": sobject}, **{k: v for k, v in record.items() if k != "attributes"}}


def _collection_write(client: SalesforceClient, path: str, method: str, what: str, sobject: str, records: list[dict],
                      all_or_none: bool) -> list[RecordResult]:
    out = []
    for start, chunk in _chunks(records, COLLECTION_LIMIT):
        body = {"allOrNone": all_or_none, "records": [_typed(sobject, r) for r in chunk]}
        out += _map(start, client.restful(path, method=method, json=body), what)
    return out


def collection_create(client: SalesforceClient, sobject: str, records: list[dict], *,
                      all_or_none: bool = False) -> list[RecordResult]:
    return _collection_write(client, "composite/sobjects", "POST", f"{sobject} create", sobject, records, all_or_none)


def collection_update(client: SalesforceClient, sobject: str, records: list[dict], *,
                      all_or_none: bool = False) -> list[RecordResult]:
    """Each record carries its ``Id``."""
    return _collection_write(client, "composite/sobjects", "PATCH", f"{sobject} update", sobject, records, all_or_none)


def collection_save(client: SalesforceClient, sobject: str, *, updates: list[tuple[object, dict]],
                    creates: list[tuple[object, dict]]) -> list[tuple[object, RecordResult]]:
    """Updates (values with their ``Id``) then creates, allOrNone=false: each record's result
    beside the object it was given with (``(obj, values)`` pairs)."""
    results = collection_update(client, sobject, [values for _, values in updates])
    results += collection_create(client, sobject, [values for _, values in creates])
    return [(obj, result) for (obj, _), result in zip(updates + creates, results)]


def collection_upsert(client: SalesforceClient, sobject: str, external_id_field: str, records: list[dict], *,
                      all_or_none: bool = False) -> list[RecordResult]:
    return _collection_write(client, f"composite/sobjects/{sobject}/{external_id_field}", "PATCH",
                             f"{sobject} upsert", sobject, records, all_or_none)


def collection_delete(client: SalesforceClient, ids: list[str], *, all_or_none: bool = False) -> list[RecordResult]:
    out = []
    for start, chunk in _chunks(ids, COLLECTION_LIMIT):
        params = {"ids": ",".join(chunk), "allOrNone": str(all_or_none).lower()}
        out += _map(start, client.restful("composite/sobjects", method="DELETE", params=params), "delete")
    return out


def composite(client: SalesforceClient, subrequests: list[dict], *, all_or_none: bool = True) -> list[SubResult]:
    """Dependent writes in one call (e.g. Account then Contact with ``@{refAccount.id}``).

    Subrequest urls may be given relative to the API root ("sobjects/Account"); they are
    made absolute (/services/data/vXX.X/…). With all_or_none, one failure rolls back all.
    """
    if len(subrequests) > COMPOSITE_LIMIT:
        raise ValueError(f"A composite request takes at most {COMPOSITE_LIMIT} subrequests")
    root = f"/services/data/v{client.api_version}/"
    subs = [{**s, "url": s["url"] if s["url"].startswith("/services/") else root + s["url"].lstrip("/")}
            for s in subrequests]
    body = client.restful("composite", method="POST", json={"allOrNone": all_or_none, "compositeRequest": subs})
    results = []
    for row in body["compositeResponse"]:
        error = None
        if row["httpStatusCode"] >= 300:
            first = (row["body"] or [{}])[0] if isinstance(row["body"], list) else row["body"] or {}
            error = error_classify(first, what=f"composite step {row['referenceId']}", http_status=row["httpStatusCode"])
        results.append(SubResult(row["referenceId"], row["httpStatusCode"], row["body"], error))
    return results
