"""The engine's models and status words, read without importing ``integrations``.

Dependencies point one way (integrations → monitoring), so monitoring reaches the engine's
tables through the app registry only. The status strings mirror
``integrations.models.SyncItem.Status``; tests/monitoring/test_refs.py keeps them honest.
"""
from __future__ import annotations

from django.apps import apps

PENDING, RUNNING, SUCCEEDED, SKIPPED, RETRYING, DEAD, HELD = (
    "pending", "running", "succeeded", "skipped", "retrying", "dead", "held",
)
OPEN_STATUSES = (PENDING, RETRYING)
FINISHED_STATUSES = (SUCCEEDED, DEAD, SKIPPED)
FAILED_OUTCOMES = (RETRYING, DEAD)
TOKEN_FAILING = "failing"


def engine_model(name: str):
    """``engine_model("SyncItem")`` → integrations.SyncItem."""
    return apps.get_model("integrations", name)
