"""The one door list: every system Ledgerlink talks to, by its Connection.System value.

Generic code (polling, reconciliation, the timeline, the webhook URLs, the admin, mapping
schemas, monitoring) iterates this dict instead of keeping tables of its own; adding a
system is its package under connectors/ and one line here.
"""
from __future__ import annotations

import dataclasses

from django.db import DatabaseError

from integrations.connectors.connector import Connector
from integrations.connectors.freshbooks.connector import FreshBooksConnector
from integrations.connectors.infor.connector import InforConnector
from integrations.connectors.salesforce.connector import SalesforceConnector
from integrations.connectors.shop.connector import ShopifyConnector, WooCommerceConnector
from integrations.connectors.infor.objects import DESCRIPTORS as M3_DESCRIPTORS
from integrations.connectors.salesforce.objects import described_schema
from integrations.models import DescribedObject, Flow

CONNECTORS: dict[str, type[Connector]] = {
    "freshbooks": FreshBooksConnector,
    "salesforce": SalesforceConnector,
    "infor": InforConnector,
    "shopify": ShopifyConnector,
    "woocommerce": WooCommerceConnector,
}


def change_reader_for(flow):
    """The change reader of the flow's source (by the object it reads), or None: not pollable."""
    connector = CONNECTORS.get(flow.source_connection.system)
    return connector.change_reader_for(flow.source_object) if connector else None


def live_event_source(flow) -> bool:
    """Whether something delivers the flow's changes as they happen: its trigger is a webhook or a
    change event, and its source connection is active and of a system whose connector receives them."""
    if flow.trigger not in (Flow.Trigger.WEBHOOK, Flow.Trigger.CHANGE_EVENT) or not flow.source_connection.is_active:
        return False
    connector = CONNECTORS.get(flow.source_connection.system)
    return bool(connector and connector.receiver is not None)


def mapping_schemas() -> list:
    """Every system's mapping schemas (settings.LEDGERLINK_SCHEMA_PROVIDER: mappings reads them
    here): the ones shipped with each connector, each Infor descriptor's under its object name too,
    then the objects Salesforce described (which replace a shipped one of the same name)."""
    shipped = [schema for connector in CONNECTORS.values() for schema in connector.schemas]
    aliases = [dataclasses.replace(d.schema, object=name) for name, d in M3_DESCRIPTORS.items()]
    return shipped + aliases + described_schemas()


def described_schemas() -> list:
    """The objects read through describe and kept (DescribedObject); none where the database
    cannot be read (a check run before migrate)."""
    try:
        return [described_schema(row) for row in DescribedObject.objects.order_by("pk")]
    except DatabaseError:
        return []


def record_access_for(system: str):
    """The generic object access of a system (connectors/objects.py), or None."""
    connector = CONNECTORS.get(system)
    return connector.record_access if connector else None


def duplicate_fields() -> dict[str, dict[str, tuple[str, ...]]]:
    """Per system: its client object types and where their e-mail / organisation live
    (settings.LEDGERLINK_DUPLICATE_FIELDS_PROVIDER: the duplicate-client check reads them here)."""
    return {system: {"object_types": connector.client_object_types, **connector.duplicate_fields}
            for system, connector in CONNECTORS.items() if connector.client_object_types}
