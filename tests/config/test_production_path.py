"""The production path, end to end, the way an operator deploys: production settings, `migrate`,
`collectstatic` (the manifest storage), `check --deploy`, then gunicorn serving the admin login,
a superuser's sign-in (password, then the two-factor enrolment production requires), the
dashboard and a hashed static file.

The database is the test run's own kind: on a PostgreSQL run a database beside the test database
(created and dropped here, so `migrate` starts from nothing), on an SQLite run an SQLite file.
"""
from __future__ import annotations

import base64
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
from django_otp.oath import totp

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


class Browser:
    """A client behind the TLS-terminating proxy. The cookies are Secure (production), which a client
    only sends over https: kept here and sent by hand on the plain-http hop from the proxy."""

    def __init__(self, http: requests.Session, base: str):
        self.http, self.base, self.jar = http, base, {}

    def request(self, method: str, path: str, **kwargs):
        headers = {**PROXY, "Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items()),
                   "Origin": self.base.replace("http://", "https://")}
        response = self.http.request(method, self.base + path, headers=headers, allow_redirects=False, timeout=120,
                                     **kwargs)
        self.jar.update(response.cookies.get_dict())
        return response


def csrf_token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


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
            browser = Browser(http, base)
            login = browser.request("GET", "/admin/login/?next=/admin/")
            assert login.status_code == 200 and "csrftoken" in browser.jar, login.text[:2000]
            posted = browser.request("POST", "/admin/login/?next=/admin/", data={
                "username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(login), "next": "/admin/"})
            assert posted.status_code == 302 and posted.headers["Location"] == "/admin/", posted.text[:2000]
            assert "sessionid" in browser.jar

            # Production requires a second factor of a superuser: nothing but enrolment until then.
            index = browser.request("GET", "/admin/")
            assert index.status_code == 302 and index.headers["Location"].startswith("/security/2fa/enrol/")
            assert browser.request("GET", "/monitoring/dashboard/").status_code == 302
            enrol = browser.request("GET", index.headers["Location"])
            assert enrol.status_code == 200, enrol.text[:2000]
            key = base64.b32decode(re.search(r'<code id="otp-key">([A-Z2-7=]+)</code>', enrol.text).group(1))
            confirmed = browser.request("POST", "/security/2fa/enrol/", data={
                "token": f"{totp(key):06d}", "next": "/admin/", "csrfmiddlewaretoken": csrf_token(enrol)})
            assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/admin/", confirmed.text[:2000]

            index = browser.request("GET", "/admin/")
            assert index.status_code == 200 and "<title>" in index.text and "Home | Ledgerlink" in index.text
            assert "script-src 'self'" in index.headers["Content-Security-Policy"]
            dashboard = browser.request("GET", "/monitoring/dashboard/")
            assert dashboard.status_code == 200, dashboard.text[:2000]
            assert f"/static/{chart_js}" in dashboard.text  # the page links the hashed name
            theme_script = re.search(r"/static/(ledgerlink/admin_csp\.[0-9a-f]+\.js)", index.text)
            assert theme_script, "the admin links its CSP glue by its hashed name"
            assert browser.request("GET", f"/static/{theme_script.group(1)}").status_code == 200
            static = browser.request("GET", f"/static/{chart_js}")
            assert static.status_code == 200 and b"Chart.js" in static.content[:200]
    finally:
        process_group_stop(process)
        listener.close()
