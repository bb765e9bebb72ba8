"""Salesforce, as the generic code sees it (see connectors/connector.py)."""
from __future__ import annotations

from django.urls import path

from integrations.connectors.connector import ConnectAction, Connector
from integrations.connectors.salesforce import views
from integrations.connectors.salesforce.changes import SalesforceChangeReader
from integrations.connectors.salesforce.checks import salesforce_preflight_checks
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.connectors.salesforce.receiver import SalesforceReceiver
from integrations.connectors.salesforce.records import salesforce_link, salesforce_record_read
from integrations.connectors.salesforce.objects import SalesforceObjects
from integrations.connectors.salesforce.schemas import SCHEMAS
from integrations.connectors.salesforce.services import salesforce_connection_test


class SalesforceConnector(Connector):
    system = "salesforce"
    receiver = SalesforceReceiver
    webhook_url_name = "webhook-salesforce"
    change_reader = SalesforceChangeReader()
    client_object_types = ("Account", "Contact")
    duplicate_fields = {"email": ("Email", "PersonEmail"), "organization": ("Name",)}
    schemas = SCHEMAS
    record_access = SalesforceObjects()
    connect_action = ConnectAction("Connect Salesforce", "integrations:salesforce-connect")
    connection_test = staticmethod(salesforce_connection_test)
    prepare_action = ConnectAction("Prepare Salesforce", "integrations:salesforce-prepare")
    staff_urls = (
        path("salesforce/<int:pk>/connect/", views.connect_start, name="salesforce-connect"),
        path("salesforce/<int:pk>/test/", views.connection_test, name="salesforce-test"),
        path("salesforce/<int:pk>/prepare/", views.prepare, name="salesforce-prepare"),
    )
    record_read = staticmethod(salesforce_record_read)
    preflight_checks = staticmethod(salesforce_preflight_checks)
    record_link = staticmethod(salesforce_link)

    @staticmethod
    def client(connection):
        return SalesforceClient(connection)
