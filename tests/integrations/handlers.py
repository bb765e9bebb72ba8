"""A flow handler whose "target system" is a table we can inspect from any process.

It is registered as kind "recording" in the test settings below. Source records live in the
flow's settings["records"] (id → dict); each remote create/update is an ApiCall row with
system "recording-target", so tests in another process can count writes exactly.
Behaviour knobs in flow.settings: "fail" (list of exception specs per attempt), "barrier"
(a file path the create waits for, to hold the binding lock while another worker tries).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from integrations.errors import FatalError, MappingError, RetryableError, SkippableError
from integrations.flows.toolkit.settings import COMMON_SETTINGS, Setting
from integrations.sync.handler import FlowHandler
from integrations.models import SyncItem
from monitoring.models import ApiCall
from monitoring.services import api_call_record

ERRORS = {"retryable": RetryableError, "fatal": FatalError, "skip": SkippableError}


class RecordingHandler(FlowHandler):
    has_write_back = True
    settings_spec = COMMON_SETTINGS.extend(
        Setting("records", "dict", default={}, help="The source records: id → record."),
        Setting("fail", "list", default=[], help="Exception specs per step and attempt."),
        Setting("barrier", "str", default="", help="A file the create waits for."),
    )

    def _maybe_fail(self, item: SyncItem, step: str, payload: dict | None = None):
        for spec in self.flow.settings.get("fail", []):
            # "unless": the payload values that make the step pass (a target refusing a value until it is edited)
            if spec.get("unless") and payload and all(payload.get(k) == v for k, v in spec["unless"].items()):
                continue
            if spec["step"] == step and item.attempts in spec.get("attempts", [item.attempts]):
                if spec["kind"] == "mapping":
                    raise MappingError.single("Name", f"Name '{spec.get('value')}' is not valid", spec.get("value"))
                if spec["kind"] == "crash":
                    raise ZeroDivisionError("boom")
                kwargs = {"retry_after": spec["retry_after"]} if "retry_after" in spec else {}
                raise ERRORS[spec["kind"]](spec.get("message", f"{spec['kind']} at {step}"), **kwargs)

    def fetch_source(self, item):
        self._maybe_fail(item, "fetch")
        records = self.flow.settings.get("records", {})
        if item.source_id not in records:
            raise SkippableError(f"{item.source_object} {item.source_id} no longer exists at the source.")
        return records[item.source_id]

    def map(self, item, source):
        self._maybe_fail(item, "map")
        return {"organization": source.get("Name", ""), "email": source.get("Email", "")}

    def find_existing(self, item, source, payload):
        # The external reference: a created record carries the source id in its operation name.
        call = ApiCall.objects.filter(system="recording-target", operation=f"create:{item.source_id}").first()
        return call.path if call else None

    def create(self, item, payload):
        barrier = self.flow.settings.get("barrier")
        if barrier:
            Path(barrier + ".entered").touch()
            deadline = time.monotonic() + 60
            while not os.path.exists(barrier) and time.monotonic() < deadline:
                time.sleep(0.02)
        self._maybe_fail(item, "create", payload)
        new_id = f"T-{item.source_id}"
        api_call_record(system="recording-target", operation=f"create:{item.source_id}", method="POST",
                        path=new_id, status_code=201, duration_ms=1)
        self._maybe_fail(item, "after_create")
        return new_id

    def update(self, item, external_id, payload):
        self._maybe_fail(item, "update")
        api_call_record(system="recording-target", operation=f"update:{item.source_id}", method="PUT",
                        path=external_id, status_code=200, duration_ms=1)

    def write_back(self, item, source, result):
        self._maybe_fail(item, "write_back")
        api_call_record(system="recording-target", operation=f"write_back:{item.source_id}", method="PATCH",
                        path=result.external_id, status_code=204, duration_ms=1)


def target_writes(kind: str, source_id: str | None = None) -> int:
    qs = ApiCall.objects.filter(system="recording-target", operation__startswith=f"{kind}:")
    return qs.filter(operation=f"{kind}:{source_id}").count() if source_id else qs.count()
