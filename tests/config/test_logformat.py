"""LOG_FORMAT=json: one JSON object per line, masked like the plain logs (message and traceback)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-" + "Wq4z" * 8

# Logs one message and one exception the way product code does, through the configured handlers.
SCRIPT = f"""
import logging, django
django.setup()
log = logging.getLogger("integrations.connectors.freshbooks")
log.warning("token refresh answered 400 for client_secret=%s", {SECRET!r})
try:
    raise ValueError("upstream said: access_token={SECRET}")
except ValueError:
    log.exception("call failed")
"""


@pytest.mark.slow  # a python process started with LOG_FORMAT=json, as production runs
def test_json_logs_are_masked():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "LOG_FORMAT": "json"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [(entry["level"], entry["logger"]) for entry in lines] == [
        ("WARNING", "integrations.connectors.freshbooks"), ("ERROR", "integrations.connectors.freshbooks")]
    assert lines[0]["message"] == "token refresh answered 400 for client_secret=***"
    assert "ValueError: upstream said: access_token=***" in lines[1]["exception"]
    assert SECRET not in result.stderr


@pytest.mark.slow
def test_an_unknown_log_format_is_refused_at_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "LOG_FORMAT": "xml"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "LOG_FORMAT must be plain or json" in result.stderr
