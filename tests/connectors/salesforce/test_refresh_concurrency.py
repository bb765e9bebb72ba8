"""Expiry mid-run with concurrent workers: real processes, one refresh (PostgreSQL)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection as db

from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfToken

WORKER = """
import os, sys, time
from pathlib import Path
import django
django.setup()
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.models import Connection
start = Path(sys.argv[2])
deadline = time.monotonic() + 30
while not start.exists():
    if time.monotonic() > deadline:
        sys.exit("start signal never came")
    time.sleep(0.01)
client = SalesforceClient(Connection.objects.get(pk=int(sys.argv[1])))
for _ in range(3):
    client.query("SELECT Id, Name FROM Account")
print("ok")
"""


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_workers_share_one_refresh(pg_only, sf, sf_connection, tmp_path):
    sf.create("Account", {"Name": "Shared"})
    sim.sessions_expire_now()
    settings_dict = db.settings_dict
    url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
           f"/{settings_dict['NAME']}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": url}
    start = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(sf_connection.pk), str(start)], env=env,
                                cwd=Path(__file__).resolve().parents[3], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    start.write_text("go")
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [o[1][-2000:] for o in outputs]
    # Rotation is on: a second refresh with the same token would have revoked the lineage.
    assert SfToken.objects.filter(kind="access", grant_type="refresh_token").count() == 1
    assert SfToken.objects.filter(kind="refresh", revoked=True).count() == 0
