"""The container kit without a container: compose.yaml and the Dockerfile name the entry point's
roles, and the entry point's roles run for real (web under gunicorn, a worker cluster, the
subscriber) on PostgreSQL + Redis, as the image runs them."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from cryptography.fernet import Fernet

from config.entrypoint import ROLES
from integrations.operations.readiness import READY_CHECKS
from tests.cluster import wait_until
from tests.config.test_production_path import _postgres_database
from tests.processes import process_group_stop

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_compose_runs_each_role_with_a_healthcheck_and_a_restart_policy():
    services = COMPOSE["services"]
    assert set(services) == {"web", "worker", "subscriber", "postgres", "redis"}
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    for role in ("web", "worker", "subscriber"):
        assert services[role]["command"] == [role] and role in ROLES
        assert services[role]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                                "redis": {"condition": "service_healthy"}}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for role, check in (("worker", "cluster"), ("subscriber", "subscriber")):
        assert services[role]["healthcheck"]["test"][-3:] == ["config.entrypoint", "probe", check]
        assert check in READY_CHECKS


def test_dockerfile_builds_from_the_pins_and_runs_the_entry_point_unprivileged():
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) == 2  # build and runtime stages
    assert "-c constraints.txt" in DOCKERFILE and "collectstatic --noinput" in DOCKERFILE
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, re.M)
    assert 'ENTRYPOINT ["python", "-m", "config.entrypoint"]' in DOCKERFILE


def test_an_unknown_role_is_refused_with_the_list():
    from config.entrypoint import main

    with pytest.raises(SystemExit, match=r"usage: python -m config.entrypoint \{web\|worker\|subscriber"):
        main(["scheduler"])


@pytest.fixture
def production_env():
    databases = _postgres_database("entrypoint")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SANDBOX_ENABLED")}
    env.update({
        "DJANGO_ENV": "production", "SECRET_KEY": "entrypoint-" + "s3cr3t-k3y-" * 6,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "ledgerlink.example.com",
        "LEDGERLINK_PUBLIC_URL": "https://ledgerlink.example.com", "DATABASE_URL": next(databases),
        "REDIS_URL": os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15"),
        "Q_NAME": f"entrypoint-{os.getpid()}-{time.monotonic_ns()}", "Q_WORKERS": "1", "Q_POLL": "0.1",
        "LOG_FORMAT": "json",
    })
    yield env
    next(databases, None)  # drops the database


def _start(env, log_path: Path, *args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "config.entrypoint", *args], cwd=ROOT, env=env,
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT, start_new_session=True, **kwargs)


def _run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "config.entrypoint", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _get(url: str):
    """None while web is still migrating (the request waits in the listener's backlog)."""
    try:
        return requests.get(url, timeout=5)
    except requests.RequestException:
        return None


def _task_succeeded(database_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT success FROM django_q_task WHERE name = %s", [name]).fetchone()
    return bool(row and row[0])


@pytest.mark.slow  # runs the entry point's roles: gunicorn, a worker cluster, the subscriber
@pytest.mark.postgres
def test_entry_point_roles_serve_process_and_subscribe(production_env, tmp_path):
    env, started = production_env, []
    listener = socket.socket()  # bound here, listening before gunicorn starts (see test_production_path)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        # web: migrates a database that has nothing, sets up, serves under gunicorn.
        web = _start({**env, "WEB_BIND": f"fd://{listener.fileno()}", "WEB_CONCURRENCY": "1"}, tmp_path / "web.log",
                     "web", pass_fds=[listener.fileno()])
        started.append(web)
        wait_until(lambda: (r := _get(f"{base}/healthz")) is not None and r.status_code == 200, timeout=240,
                   what=f"/healthz (web log: {tmp_path / 'web.log'})")
        ready = requests.get(f"{base}/readyz", timeout=30)  # serving, but no worker yet: not ready
        assert ready.status_code == 503 and ready.json()["failed"] == ["cluster"], ready.text
        assert ready.json()["checks"]["cluster"]["state"] == "down"
        assert ready.json()["checks"]["broker"]["broker"].startswith("Redis")

        # worker: waits for the migrations (done), runs a cluster that takes a task from Redis.
        worker = _start(env, tmp_path / "worker.log", "worker")
        started.append(worker)
        enqueued = _run(env, "manage", "shell", "-c",
                        "from django_q.tasks import async_task; async_task('math.floor', 2.5, task_name='ep-check')")
        assert enqueued.returncode == 0, enqueued.stderr
        wait_until(lambda: _task_succeeded(env["DATABASE_URL"], "ep-check"), timeout=120, what="the worker's task")
        # The supervisor's heartbeat row reports the progress within a heartbeat or two.
        wait_until(lambda: (p := _run(env, "probe", "cluster")).returncode == 0
                   and json.loads(p.stdout)["last_progress_at"], timeout=60, what="the cluster probe")
        ready = requests.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text

        # subscriber: starts, runs (no Salesforce connection yet: nothing to stream), stops on SIGTERM.
        subscriber = _start(env, tmp_path / "subscriber.log", "subscriber")
        started.append(subscriber)
        wait_until(lambda: "Pub/Sub subscriber" in (tmp_path / "subscriber.log").read_text(), timeout=120,
                   what="the subscriber's start")
        probe = _run(env, "probe", "subscriber")
        assert probe.returncode == 0 and json.loads(probe.stdout)["ok"] is True, probe.stdout + probe.stderr
        assert subscriber.poll() is None, (tmp_path / "subscriber.log").read_text()  # still running after it
        subscriber.send_signal(signal.SIGTERM)
        assert subscriber.wait(30) == 0
        assert "stopped" in (tmp_path / "subscriber.log").read_text()
    except AssertionError as exc:
        logs = "\n".join(f"--- {p.name} ---\n{p.read_text()[-2000:]}" for p in sorted(tmp_path.glob("*.log")))
        raise AssertionError(f"{exc}\n{logs}") from exc
    finally:
        for process in reversed(started):
            process_group_stop(process)
        listener.close()
