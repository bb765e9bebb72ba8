"""Generic record access: any object of a system by its name, for flows configured as data
(flows/record_sync). Each connector that offers it sets ``record_access`` on its door to an
``ObjectAccess`` of its own (connectors/<system>/objects.py); the built-in flows keep their
own typed calls.

An object is described by a mappings ``Schema`` (fields, types, lengths, picklists,
createable/updateable, external-id fields): Salesforce's from describe, FreshBooks' and
Infor's from small descriptors shipped with the connector.
"""
from __future__ import annotations

from dataclasses import dataclass

from integrations.errors import FatalError


class ObjectUnknown(FatalError):
    """An object or field the system does not have; the sentence names what exists."""


@dataclass(frozen=True)
class Written:
    """What a create or update left in the target: its id, and the record as the system returned it."""

    id: str
    record: dict


class ObjectAccess:
    """Read, find, create and update records of any object of one system, by object name."""

    #: whether archive() does something in this system (deletes: "archive where supported")
    archives: bool = False
    #: whether the system describes objects Ledgerlink ships no schema for (custom objects): they are
    #: known once described (Connections → Describe objects, manage.py describe_objects)
    describes: bool = False

    def objects(self, connection) -> list[str]:
        """The object names this connection offers."""
        raise NotImplementedError

    def schema(self, connection, name: str):
        """The object's mappings Schema (read from the system where it describes itself); raises
        ObjectUnknown naming the objects that exist."""
        raise NotImplementedError

    def get(self, connection, name: str, record_id: str, *, children: tuple[str, ...] = ()) -> dict | None:
        """The record read fresh; None when it does not exist (or was deleted). ``children``: related
        lists read with it (Salesforce child relationships, e.g. an Order's OrderItems)."""
        raise NotImplementedError

    def find(self, connection, name: str, field: str, value) -> list[str]:
        """Ids of the records whose ``field`` equals ``value``."""
        raise NotImplementedError

    def create(self, connection, name: str, data: dict) -> Written:
        raise NotImplementedError

    def update(self, connection, name: str, record_id: str, data: dict) -> Written:
        raise NotImplementedError

    def archive(self, connection, name: str, record_id: str) -> bool:
        """Archive (hide without deleting) the record; False: the system cannot."""
        return False

    def version(self, name: str, record: dict) -> str:
        """The record's last-modified stamp (echo suppression compares it)."""
        return ""


def object_unknown(system: str, name: str, known: list[str]) -> ObjectUnknown:
    return ObjectUnknown(f"{system} has no object '{name}'. Known: {', '.join(sorted(known)) or 'none'}.")


def fields_unknown(schema, names) -> list[str]:
    """Sentences for the names the schema does not have, each listing what exists."""
    missing = [n for n in names if n and not schema.accepts(n)]
    if not missing:
        return []
    known = ", ".join(schema.field_names())
    return [f"{schema.system} {schema.object} has no field '{n}'. Known: {known}." for n in missing]
