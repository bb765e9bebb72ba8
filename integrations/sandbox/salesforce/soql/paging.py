"""QueryResult pages: the first page inline, the rest behind a query locator
(nextRecordsUrl = /services/data/vXX.X/query/<locator>-<offset>), for top-level results
and child subquery results alike."""
from __future__ import annotations

from ..errors import SfApiError
from ..ids import id_new
from ..models import SfQueryLocator


def result_page(records: list, total: int, version: str, page_size: int, *, locator: str | None = None,
                offset: int = 0) -> dict:
    page = records[offset: offset + page_size]
    result = {"totalSize": total, "done": offset + page_size >= len(records), "records": page}
    if not result["done"]:
        if locator is None:
            locator = id_new("01g")
            SfQueryLocator.objects.create(locator=locator, records=records)
        result["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + page_size}"
    return result


def query_more(identifier: str, *, version: str, page_size: int) -> dict:
    locator, _, offset = identifier.rpartition("-")
    stored = SfQueryLocator.objects.filter(locator=locator).first() if locator and offset.isdigit() else None
    if stored is None:
        raise SfApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return result_page(stored.records, len(stored.records), version, page_size, locator=locator, offset=int(offset))
