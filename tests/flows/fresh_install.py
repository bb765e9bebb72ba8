"""A second Ledgerlink install, in its own database, driven from a test by subprocesses: its own
migrations, its own simulators' data and connections, its own web server and worker cluster
(``ledgerlink_serve``, as ``make run`` starts them), nothing of the test's database. What an
exported configuration meets when it is imported on another machine.

People act in its simulators with ``python -m tests.flows.fresh_install STEP ...`` under the
install's environment (``FreshInstall.env``): ``connect`` makes its connections to its simulators
as the demo does (connections and their secrets are never exported); ``fb_create KIND JSON`` is a
person creating a FreshBooks record (its webhook then reaches the install, whose cluster does the
work). The test reads the install's database read-only (tests/config/test_make_run.py db_rows)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from tests.cluster import wait_until

ROOT = Path(__file__).resolve().parents[2]


class FreshInstall:
    """The install's environment (a SQLite file under ``folder``), its commands and its processes."""

    def __init__(self, folder: Path, *, port: int, pubsub_port: int):
        self.folder, self.port = folder, port
        self.database = folder / "fresh.sqlite3"
        self.base = f"http://127.0.0.1:{port}"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")}
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV": "development",
            "DATABASE_URL": f"sqlite:///{self.database}", "SECRET_KEY": "fresh-install-" + "k3y-" * 12,
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "LEDGERLINK_ADMIN_PASSWORD": "Fresh-" + "Pw9!" * 4,
            "LEDGERLINK_PUBLIC_URL": self.base, "SANDBOX_SALESFORCE_PUBSUB_PORT": str(pubsub_port),
        })
        self.log_path = folder / "serve.log"
        self.server: subprocess.Popen | None = None

    def _run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def manage(self, *args: str) -> str:
        return self._run("manage.py", *args)

    def step(self, *args: str) -> str:
        """A step below, in the install's own process; its last output line."""
        return self._run("-m", "tests.flows.fresh_install", *args).strip().splitlines()[-1]

    def serve(self) -> None:
        """``ledgerlink_serve`` (web, cluster, simulators' servers), up once the admin answers."""
        with open(self.log_path, "w") as log:
            self.server = subprocess.Popen([sys.executable, "manage.py", "ledgerlink_serve", "--host", "127.0.0.1",
                                            "--port", str(self.port)], cwd=ROOT, env=self.env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._answers, timeout=120, what="the fresh install's web server")

    def tail(self) -> str:
        return self.log_path.read_text()[-4000:] if self.log_path.exists() else ""

    def _answers(self) -> bool:
        assert self.server.poll() is None, self.tail()
        try:
            return requests.get(self.base + "/admin/login/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.server is None or self.server.poll() is not None:
            return
        os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)


# -- the steps, inside the install's own process -----------------------------------------------------
def connect() -> None:
    from integrations.demo.freshbooks import freshbooks_sandbox_connect
    from integrations.demo.salesforce import salesforce_sandbox_connect

    salesforce_sandbox_connect(print)
    freshbooks_sandbox_connect(print)


def fb_create(kind: str, values: str) -> None:
    from django.db import transaction

    from integrations.sandbox.freshbooks.kinds import KINDS
    from integrations.sandbox.freshbooks.records import record_create
    from integrations.sandbox.freshbooks.seed import sandbox_demo_seed

    _, user, account = sandbox_demo_seed()
    with transaction.atomic():  # its webhook is sent once this commits, as when a person saves in FreshBooks
        made = record_create(account=account, kind=KINDS[kind], values=json.loads(values), actor=user)
    print(made.pk)


if __name__ == "__main__":
    import django

    django.setup()
    {"connect": connect, "fb_create": fb_create}[sys.argv[1]](*sys.argv[2:])
