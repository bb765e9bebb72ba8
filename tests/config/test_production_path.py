"""The production path, end to end, the way an operator deploys: production settings, `migrate`,
`collectstatic` (the manifest storage), `check --deploy`, then gunicorn serving the admin login,
a logged-in superuser's dashboard and a hashed static file.

The database is the test run's own kind: on a PostgreSQL run a database beside the test database
(created and dropped here, so `migrate` starts from nothing), on an SQLite run an SQLite file.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings

from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "prod-path-" + "Pw9!" * 4
# What a TLS-terminating proxy adds: production redirects plain http and sets secure cookies.
PROXY = {"X-Forwarded-Proto": "https"}


def _postgres_database(suffix: str):
    """A fresh database beside the test database; yields its URL, drops it afterwards."""
    import psycopg

    conf = settings.DATABASES["default"]
    name = f"{conf['NAME']}_{suffix}"[:63]
    admin = {"host": conf.get("HOST") or "127.0.0.1", "port": conf.get("PORT") or 5432, "user": conf.get("USER"),
             "password": conf.get("PASSWORD") or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    user = quote(conf.get("USER") or "", safe="")
    password = f":{quote(conf['PASSWORD'], safe='')}" if conf.get("PASSWORD") else ""
    try:
        yield f"postgres://{user}{password}@{admin['host']}:{admin['port']}/{name}"
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def production_env(tmp_path):
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        databases = _postgres_database("production_path")
        database_url = next(databases)
    else:
        databases, database_url = None, f"sqlite:///{tmp_path / 'production.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SANDBOX_ENABLED")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "prod-path-" + "s3cr3t-k3y-" * 6,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LEDGERLINK_PUBLIC_URL": "https://ledgerlink.example.com",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(tmp_path / "static"),
        # This test logs a superuser in with a password only; the two-factor path has tests of its own.
        "LEDGERLINK_REQUIRE_2FA": "false",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    })
    yield env
    if databases is not None:
        next(databases, None)  # drops the database


def manage(env, *args):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def gunicorn_start(env):
    """gunicorn on a socket bound here (a free port, listening before gunicorn starts: a request made
    while it is still loading waits in the backlog instead of being refused)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    fd = listener.fileno()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"fd://{fd}", "--workers", "1",
         "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env, pass_fds=[fd], start_new_session=True)
    return process, listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def cookie_header(jar: dict) -> dict:
    # The cookies are Secure (production): a client only sends them over https, which the proxy ended.
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}


@pytest.mark.slow  # runs manage.py and gunicorn
def test_production_deploys_and_serves_the_admin_dashboard_and_static_files(production_env):
    env = production_env
    manage(env, "migrate", "--noinput")
    collected = manage(env, "collectstatic", "--noinput")
    assert "static files copied" in collected.stdout
    deploy = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in deploy.stdout
    manage(env, "createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.com")
    manifest = json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())["paths"]
    chart_js = manifest["monitoring/vendor/chartjs/chart.umd.min.js"]

    process, listener, base = gunicorn_start(env)
    try:
        with requests.Session() as http:
            login = http.get(f"{base}/admin/login/?next=/admin/", headers=PROXY, timeout=120)
            assert login.status_code == 200, login.text[:2000]
            jar = {"csrftoken": login.cookies["csrftoken"]}
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
            posted = http.post(
                f"{base}/admin/login/?next=/admin/", allow_redirects=False, timeout=60,
                data={"username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/admin/"},
                headers={**PROXY, **cookie_header(jar), "Origin": base.replace("http://", "https://")})
            assert posted.status_code == 302 and posted.headers["Location"] == "/admin/", posted.text[:2000]
            jar["sessionid"] = posted.cookies["sessionid"]

            index = http.get(f"{base}/admin/", headers={**PROXY, **cookie_header(jar)}, timeout=60)
            assert index.status_code == 200 and "Site administration" in index.text
            dashboard = http.get(f"{base}/monitoring/dashboard/", headers={**PROXY, **cookie_header(jar)}, timeout=60)
            assert dashboard.status_code == 200, dashboard.text[:2000]
            assert f"/static/{chart_js}" in dashboard.text  # the page links the hashed name
            static = http.get(f"{base}/static/{chart_js}", headers=PROXY, timeout=60)
            assert static.status_code == 200 and b"Chart.js" in static.content[:200]
    finally:
        process_group_stop(process)
        listener.close()
