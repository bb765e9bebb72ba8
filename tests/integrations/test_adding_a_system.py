"""Adding a system is its connector package and one line in CONNECTORS (README, "Adding a system"):
every generic part — webhook URLs, polling, reconciliation, the timeline, mapping schemas and the
duplicate check — picks a new connector up from the registry, with no table of its own to edit."""
from __future__ import annotations

import importlib
from datetime import datetime
from unittest import mock

import pytest
from django.urls import clear_url_caches, resolve

from integrations.connectors.changes import Change, WatermarkReader
from integrations.connectors.connector import Connector
from integrations.connectors.receiving import ParsedEvent, Receiver
from integrations.connectors.registry import CONNECTORS, change_reader_for, duplicate_fields, mapping_schemas
from integrations.models import Binding, Entity
from integrations.operations.reconcile import record_reader
from integrations.operations.timeline import record_link
from mappings.schemas import Schema
from tests.factories import ConnectionFactory, FlowFactory

pytestmark = pytest.mark.django_db


class XeroReceiver(Receiver):
    def verify(self, delivery, connection) -> None:
        return None

    def parse(self, delivery, connection) -> list[ParsedEvent]:
        return [ParsedEvent(dedupe_key="x", event_type="contact.updated", object_type="contact", object_id="1")]


class XeroChangeReader(WatermarkReader):
    def changes_since(self, *, flow, handler, since: datetime, until: datetime):
        yield Change("c-1", "v1", until)


XERO_CONTACT = Schema(system="xero", object="contact", fields={})


class XeroConnector(Connector):
    system = "xero"
    receiver = XeroReceiver
    webhook_url_name = "webhook-xero"
    change_reader = XeroChangeReader()
    client_object_types = ("contact",)
    duplicate_fields = {"email": ("EmailAddress",), "organization": ("Name",)}
    schemas = (XERO_CONTACT,)
    record_read = staticmethod(lambda connection, object_type, external_id: {"amount": "1.00"})
    record_link = staticmethod(lambda binding: f"https://xero.example/{binding.external_id}")

    @staticmethod
    def client(connection):
        return object()


@pytest.fixture
def xero():
    with mock.patch.dict(CONNECTORS, {"xero": XeroConnector}):
        yield ConnectionFactory(system="xero", name="Xero")


def test_the_registry_line_gives_the_new_system_its_webhook_url(xero, settings):
    import config.urls as root_urls
    import integrations.triggers.webhooks.urls as webhook_urls

    def reload():
        importlib.reload(webhook_urls)  # the URL list is built from CONNECTORS when it loads
        importlib.reload(root_urls)  # its include() keeps the URL list it resolved first: build it again
        clear_url_caches()

    try:
        reload()
        match = resolve(f"/api/webhooks/xero/{xero.pk}/")
        assert match.url_name == "webhook-xero"
    finally:
        reload()


def test_polling_reconciliation_timeline_schemas_and_duplicates_ask_the_registry(xero):
    flow = FlowFactory(source_connection=xero, source_object="contact")
    assert isinstance(change_reader_for(flow), XeroChangeReader)
    assert record_reader("xero")(xero, "contact", "c-1") == {"amount": "1.00"}
    binding = Binding.objects.create(connection=xero, object_type="contact", external_id="c-9",
                                     entity=Entity.objects.create(kind=Entity.Kind.CUSTOMER))
    assert record_link(binding) == "https://xero.example/c-9"
    assert XERO_CONTACT in mapping_schemas()
    assert duplicate_fields()["xero"]["email"] == ("EmailAddress",)
