"""Child process of the single-flight refresh test: one M3 call from its own process."""
import os


def call_m3(database_url: str, connection_id: int, barrier, results) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from integrations.connectors.infor.m3 import M3Client
    from integrations.models import Connection

    client = M3Client(Connection.objects.get(pk=connection_id))
    barrier.wait(timeout=30)  # every process is ready: all of them find the token expired at once
    try:
        client.execute("CRS610MI", "LstByNumber")
        results.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(f"{type(exc).__name__}: {exc}")
