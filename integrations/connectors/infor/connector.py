"""Infor M3, as the generic code sees it (see connectors/connector.py). M3 sends no webhooks:
its changes are polled (changes.py), one reader per object the flows read from it."""
from __future__ import annotations

from integrations.connectors.connector import Connector
from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.connectors.infor.changes import InforCustomerChangeReader, InforOrderChangeReader
from integrations.connectors.infor.records import infor_record_link, infor_record_read
from integrations.connectors.infor.schemas import SCHEMAS


class InforConnector(Connector):
    system = "infor"
    change_readers = {"customer": InforCustomerChangeReader(), "order": InforOrderChangeReader()}
    client_object_types = ("customer",)
    # MAIL is the M3 customer e-mail (CRS610MI), as the mapping sets and the simulator write it.
    duplicate_fields = {"email": ("MAIL",), "organization": ("CUNM",)}
    schemas = SCHEMAS
    record_read = staticmethod(infor_record_read)
    record_link = staticmethod(infor_record_link)

    @staticmethod
    def client(connection):
        return infor_adapter_for(connection)
