"""Single-flight token refresh across real processes (PostgreSQL row lock on the connection)."""
import multiprocessing
from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone

from integrations.models import Connection
from monitoring.models import ApiCall
from tests.connectors.infor.refresh_worker import call_m3

WORKERS = 4


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_workers_with_an_expired_token_refresh_it_exactly_once(pg_only, m3_connection):
    from integrations.connectors.infor.ionapi import connection_ionapi_connect

    connection_ionapi_connect(connection=m3_connection)  # a refresh token exists; the access token then expires
    Connection.objects.filter(pk=m3_connection.pk).update(token_expires_at=timezone.now() - timedelta(seconds=1))
    settings = db.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [context.Process(target=call_m3, args=(url, m3_connection.pk, barrier, results)) for _ in range(WORKERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert outcomes == ["ok"] * WORKERS
    refreshes = ApiCall.objects.filter(operation__startswith="token:").exclude(operation="token:password")
    assert refreshes.count() == 1 and refreshes.get().operation == "token:refresh"
    assert ApiCall.objects.filter(operation="CRS610MI/LstByNumber", status_code=200).count() == WORKERS
