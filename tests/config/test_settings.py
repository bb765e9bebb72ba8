"""Production mode passes Django's deploy checks; unsafe queue settings fail the system check."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "prod-" + "k3y" * 20,
    "ALLOWED_HOSTS": "ledgerlink.example.com",
    "LEDGERLINK_PUBLIC_URL": "https://ledgerlink.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    # `check` opens no connection; the URL only has to be a valid SQLite one.
    "DATABASE_URL": "sqlite:///deploy-check.sqlite3",
}


def manage(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **(env_extra or {})})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.slow  # runs manage.py or python in a subprocess
def test_production_settings_pass_check_deploy_with_zero_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow  # runs manage.py or python in a subprocess
def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env_extra=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.slow  # runs manage.py or python in a subprocess
def test_production_without_encryption_keys_fails_the_deploy_check():
    env = {**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": ""}
    result = manage("check", "--deploy", env_extra=env)
    assert result.returncode != 0 and "FIELD_ENCRYPTION_KEYS" in result.stderr + result.stdout


@pytest.mark.parametrize("conf, error_id", [
    ({"timeout": 300, "retry": 300, "max_attempts": 3}, "ledgerlink.E002"),
    ({"timeout": 300, "retry": 900, "max_attempts": 0}, "ledgerlink.E003"),
    ({"retry": 900, "max_attempts": 3}, "ledgerlink.E001"),
])
def test_unsafe_q_cluster_settings_fail_the_system_check(settings, conf, error_id):
    settings.Q_CLUSTER = {"name": "x", "orm": "default", **conf}
    assert error_id in [e.id for e in run_checks()]


def test_default_q_cluster_settings_are_safe():
    assert not [e for e in run_checks() if e.id.startswith("ledgerlink.E00")]


@pytest.mark.slow  # runs manage.py or python in a subprocess
def test_database_url_switches_to_postgres_and_redis_url_to_the_redis_broker():
    code = ("from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], 'redis' in s.Q_CLUSTER, 'orm' in s.Q_CLUSTER)")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "REDIS_URL": "redis://127.0.0.1:6379/3"})
    out = subprocess.run([sys.executable, "-c", f"import django;django.setup();{code}"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.stdout.split() == ["django.db.backends.postgresql", "True", "False"], out.stderr
    env.pop("DATABASE_URL"), env.pop("REDIS_URL")
    out = subprocess.run([sys.executable, "-c", f"import django;django.setup();{code}"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.stdout.split() == ["django.db.backends.sqlite3", "False", "True"], out.stderr


@pytest.mark.slow  # runs manage.py or python in a subprocess
def test_sqlite_is_tuned_for_web_and_workers_together():
    code = ("import json;from django.conf import settings as s;"
            "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    out = subprocess.run([sys.executable, "-c", f"import django;django.setup();{code}"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    options = json.loads(out.stdout)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"] and "busy_timeout" in options["init_command"]
