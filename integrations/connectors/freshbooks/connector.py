"""FreshBooks, as the generic code sees it (see connectors/connector.py)."""
from __future__ import annotations

from django.urls import path

from integrations.connectors.connector import ConnectAction, Connector
from integrations.connectors.freshbooks import views
from integrations.connectors.freshbooks.changes import FreshBooksChangeReader
from integrations.connectors.freshbooks.checks import freshbooks_preflight_checks
from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.receiver import FreshBooksReceiver
from integrations.connectors.freshbooks.records import freshbooks_link, freshbooks_record_read
from integrations.connectors.freshbooks.objects import FreshBooksObjects
from integrations.connectors.freshbooks.schemas import SCHEMAS
from integrations.connectors.freshbooks.services import freshbooks_connection_test


class FreshBooksConnector(Connector):
    system = "freshbooks"
    receiver = FreshBooksReceiver
    webhook_url_name = "webhooks-freshbooks"
    change_reader = FreshBooksChangeReader()
    client_object_types = ("client",)
    duplicate_fields = {"email": ("email",), "organization": ("organization",)}
    schemas = SCHEMAS
    record_access = FreshBooksObjects()
    connect_action = ConnectAction("Connect FreshBooks", "integrations:freshbooks-connect")
    connection_test = staticmethod(freshbooks_connection_test)
    staff_urls = (path("freshbooks/<int:connection_id>/connect/", views.connect_start, name="freshbooks-connect"),)
    record_read = staticmethod(freshbooks_record_read)
    preflight_checks = staticmethod(freshbooks_preflight_checks)
    record_link = staticmethod(freshbooks_link)

    @staticmethod
    def client(connection):
        return FreshBooksClient(connection)
