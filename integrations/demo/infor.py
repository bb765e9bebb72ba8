"""Demo set-up (a DEMO_STEP): the Infor connection to the built-in M3 simulator."""
from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings

from integrations.connectors.infor.ionapi import SECRET_NAME, connection_ionapi_store
from integrations.models import Connection, System

DEMO_NAME = "Infor M3 (sandbox)"


def infor_sandbox_connection_ensure(write: Callable[[str], None]) -> None:
    """Create the connection with the simulator's .ionapi file; re-upload it if the simulator's app changed."""
    from integrations.sandbox.infor.state import (
        app_default,
        ionapi_document,
        seed_ensure,
    )

    seed_ensure()
    document = ionapi_document(app_default(), root_url=f"{settings.LEDGERLINK_PUBLIC_URL}/sandbox/infor")
    connection, created = Connection.objects.get_or_create(
        name=DEMO_NAME, defaults={"system": System.INFOR, "is_sandbox": True, "environment": "sandbox"},
    )
    stored = connection.get_secret(SECRET_NAME)
    if created or not stored or json.loads(stored) != document:
        connection_ionapi_store(connection=connection, text=json.dumps(document))
        write(f"Infor connection '{DEMO_NAME}' uses the M3 simulator (tenant {document['ti']}).")
