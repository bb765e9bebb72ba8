"""Infor M3, as the generic code sees it (see connectors/connector.py). M3 sends no webhooks:
its changes are polled (changes.py), one reader per object the flows read from it."""
from __future__ import annotations

from integrations.connectors.connector import Connector, CredentialsUpload
from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.connectors.infor.ionapi import connection_ionapi_apply, ionapi_parse
from integrations.connectors.infor.checks import infor_preflight_checks
from integrations.connectors.infor.changes import InforCustomerChangeReader, InforOrderChangeReader
from integrations.connectors.infor.records import infor_record_link, infor_record_read
from integrations.connectors.infor.objects import InforObjects
from integrations.connectors.infor.schemas import SCHEMAS


def ionapi_check(text: bytes, *, connection) -> None:
    """IonApiInvalid (a ValueError) unless the file is a usable .ionapi file for this connection's grant."""
    ionapi_parse(text, grant=(connection.settings or {}).get("ionapi_grant") if connection.pk else None)


def ionapi_apply(*, connection, text: bytes) -> None:
    connection_ionapi_apply(connection=connection, text=text, grant=connection.settings.get("ionapi_grant"))


class InforConnector(Connector):
    system = "infor"
    change_readers = {"customer": InforCustomerChangeReader(), "order": InforOrderChangeReader()}
    client_object_types = ("customer",)
    # MAIL is the M3 customer e-mail (CRS610MI), as the mapping sets and the simulator write it.
    duplicate_fields = {"email": ("MAIL",), "organization": ("CUNM",)}
    schemas = SCHEMAS
    record_access = InforObjects()
    credentials_upload = CredentialsUpload(
        field_name="ionapi_file", label=".ionapi file (Infor)", what="an .ionapi file", check=ionapi_check, apply=ionapi_apply,
        help_text="Infor only: the credentials file of the ION API Backend Service app. Stored encrypted as "
                  "one secret; never shown again.",
    )
    record_read = staticmethod(infor_record_read)
    preflight_checks = staticmethod(infor_preflight_checks)
    record_link = staticmethod(infor_record_link)

    @staticmethod
    def client(connection):
        return infor_adapter_for(connection)
