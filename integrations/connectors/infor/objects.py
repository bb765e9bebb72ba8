"""Infor M3 objects for generic flows (connectors/objects.py), each a small descriptor: the MI
program, its get / list / add / change transactions, the key field and the fields (their
mapping schema). Shipped: customers, items and sales orders; an object whose descriptor has no
transaction for a step cannot do it, and says so."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.connectors.infor.m3 import M3BusinessError, M3Client
from integrations.connectors.infor.schemas import INFOR_CUSTOMER, INFOR_SALES_ORDER
from integrations.connectors.objects import ObjectAccess, Written, object_unknown
from integrations.errors import FatalError
from mappings.schemas import Schema, schema_build, schema_field

INFOR_ITEM = schema_build("infor", "MMS200MI", [
    schema_field("ITNO", "code", 15, required=True, example="A100", external_id=True),
    schema_field("ITDS", max_length=30, required=True, example="Bowl"), schema_field("FUDS", max_length=60),
    schema_field("UNMS", "code", 3, example="PCS"), schema_field("ITTY", "code", 3), schema_field("STAT", "code", 2),
    schema_field("ITGR", "code", 5), schema_field("ITCL", "code", 5),
    schema_field("LMDT", "date", createable=False, updateable=False),
    schema_field("LMTS", "text", 18, createable=False, updateable=False),
], label="Item")


@dataclass(frozen=True)
class M3Object:
    name: str  # how a flow names it: customer, item, order
    program: str
    key: str  # the field the record is got by
    schema: Schema
    get: str = ""
    list: str = ""
    add: str = ""
    change: str = ""


DESCRIPTORS: dict[str, M3Object] = {
    "customer": M3Object("customer", "CRS610MI", "CUNO", INFOR_CUSTOMER, get="GetBasicData", list="LstByNumber",
                         add="Add", change="ChgBasicData"),
    "item": M3Object("item", "MMS200MI", "ITNO", INFOR_ITEM, get="GetItmBasic", list="LstByNumber",
                     add="AddItmBasic", change="UpdItmBasic"),
    "order": M3Object("order", "OIS100MI", "ORNO", INFOR_SALES_ORDER, get="GetHead", list="LstHead",
                      add="AddBatchHead"),
}


def m3_descriptor(name: str) -> M3Object:
    if name not in DESCRIPTORS:
        raise object_unknown("infor", name, list(DESCRIPTORS))
    return DESCRIPTORS[name]


def _transaction(descriptor: M3Object, step: str) -> str:
    transaction = getattr(descriptor, step)
    if not transaction:
        raise FatalError(f"Infor {descriptor.name} ({descriptor.program}) has no {step} transaction in its "
                         "descriptor (connectors/infor/objects.py).")
    return transaction


class InforObjects(ObjectAccess):
    def objects(self, connection) -> list[str]:
        return sorted(DESCRIPTORS)

    def schema(self, connection, name: str) -> Schema:
        return m3_descriptor(name).schema

    def get(self, connection, name: str, record_id: str, *, children: tuple[str, ...] = ()) -> dict | None:
        d = m3_descriptor(name)
        try:
            rows = M3Client(connection).execute(d.program, _transaction(d, "get"), {d.key: record_id})
        except M3BusinessError as exc:
            # A get refused on its key field is M3's "does not exist" (its message ids differ per program:
            # WIT0103 items, XIM0002 customers); anything else stays an error.
            if exc.m3_field == d.key:
                return None
            raise
        return rows[0] if rows else None

    def find(self, connection, name: str, field: str, value) -> list[str]:
        d = m3_descriptor(name)
        if field == d.key:
            return [str(value)] if self.get(connection, name, str(value)) else []
        rows = M3Client(connection).execute(d.program, _transaction(d, "list"), {field: value})
        return [str(r[d.key]) for r in rows if str(r.get(field) or "").strip() == str(value)]

    def create(self, connection, name: str, data: dict) -> Written:
        d = m3_descriptor(name)
        rows = M3Client(connection).execute(d.program, _transaction(d, "add"), data)
        record = {**data, **(rows[0] if rows else {})}
        return Written(str(record.get(d.key) or ""), record)

    def update(self, connection, name: str, record_id: str, data: dict) -> Written:
        d = m3_descriptor(name)
        M3Client(connection).execute(d.program, _transaction(d, "change"), {**data, d.key: record_id})
        return Written(record_id, {**data, d.key: record_id})

    def version(self, name: str, record: dict) -> str:
        return str(record.get("LMTS") or record.get("LMDT") or "")
