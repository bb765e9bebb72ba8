"""Child process of the concurrency-limit test: several threads calling M3 at once from one process
(one machine's workers), each on its own database connection."""
import os
import threading


def call_m3_in_threads(database_url: str, connection_id: int, threads: int, calls: int, barrier, results) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.db import connections

    from integrations.connectors.infor.m3 import M3Client
    from integrations.models import Connection

    def run():
        try:
            client = M3Client(Connection.objects.get(pk=connection_id))
            for _ in range(calls):
                client.execute("CRS610MI", "LstByNumber")
            results.put("ok")
        except Exception as exc:  # reported to the parent, which fails the test with it
            results.put(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    barrier.wait(timeout=60)  # both processes start calling together
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
