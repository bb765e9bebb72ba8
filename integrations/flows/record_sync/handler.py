"""The generic record-sync flow: any object of one system to any object of another, configured
entirely as data (the Flow's source, target, trigger and mapping set, and the settings of
settings.py); no code per route.

It runs on the engine like every flow. The steps it decides:

- fetch: the source record read fresh through its system's generic object access
  (connectors/objects.py); a record not meeting ``filter`` is skipped, saying why;
- map: the flow's mapping set, then ``links`` (a reference set to the target-side record
  Ledgerlink linked to the source's related record) and the ``marker_field`` (the source id);
- find before any create (the engine asks after the binding): the marker, then the ``match``
  rules in order; several candidates end as a dead letter naming them, for a person to decide.
  A crash between the remote create and our commit therefore finds the record next time;
- create / update by ``policy``; an update goes through the field-owner conflict check
  (flows/toolkit/conflicts.py) when the target changed since our last write;
- write-back of the target's id or a field of it to a source field; the write's echo is
  recognised by the engine (same mapped content → "unchanged");
- deletes: ignored, or the target archived where its system can.
"""
from __future__ import annotations

from functools import cached_property

from integrations.connectors.objects import Written
from integrations.connectors.registry import record_access_for
from integrations.errors import ConflictHeld, FatalError, RetryableError, SkippableError
from integrations.flows.record_sync.checks import condition_fields, record_sync_problems, rule_fields
from integrations.flows.record_sync.settings import RECORD_SYNC_SETTINGS
from integrations.flows.toolkit.bindings import binding_find, binding_version_store, entity_binding_find
from integrations.flows.toolkit.conflicts import ConflictPair, conflict_baseline, conflicts_resolve
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.values import value_same
from integrations.models import Entity, SyncItem
from integrations.sync.handler import WriteResult
from mappings.conditions import condition_holds
from mappings.paths import path_get


class RecordSyncFlow(BaseFlow):
    entity_kind = Entity.Kind.DEAL
    settings_spec = RECORD_SYNC_SETTINGS

    def __init__(self, flow):
        super().__init__(flow)
        self.written: Written | None = None
        self.conflict_decided: dict | None = None

    # -- the two sides -----------------------------------------------------------------------------
    @cached_property
    def source(self):
        return _access(self.flow.source_connection.system)

    @cached_property
    def target(self):
        return _access(self.flow.target_connection.system)

    @property
    def has_write_back(self) -> bool:
        return bool((self.setting("write_back") or {}).get("field"))

    @property
    def poll_fields(self) -> tuple[str, ...]:
        """The source fields the filter reads, so a poll decides without another call."""
        return tuple(sorted(condition_fields(self.setting("filter"))))

    def poll_wants(self, record: dict) -> bool:
        return self._passes(record)

    def mapping_steps(self) -> dict[str, str]:
        return {"": ""}

    #: what the flow names that its systems lack (flows/registry.py flow_objects_problems)
    objects_problems = staticmethod(record_sync_problems)

    # -- the sequence ---------------------------------------------------------------------------------
    def fetch_source(self, item: SyncItem) -> dict:
        record = self.source.get(self.flow.source_connection, self.flow.source_object, item.source_id,
                                 children=tuple(self.setting("children") or ()))
        if record is None:
            raise SkippableError(f"{self._source_words(item)} no longer exists; nothing to sync.")
        return record

    def map(self, item: SyncItem, source: dict) -> dict:
        if not self._passes(source):
            raise SkippableError(f"{self._source_words(item)} does not meet the flow's filter "
                                 f"{self.setting('filter')}; nothing to sync.")
        payload = self.mapping_apply(source)
        for field, link in (self.setting("links") or {}).items():
            payload[field] = self._linked(source, field, link)
        marker = self.setting("marker_field")
        if marker:
            payload[marker] = item.source_id
        return payload

    def find_existing(self, item: SyncItem, source: dict, payload: dict) -> str | None:
        marker = self.setting("marker_field")
        rules = ([[marker]] if marker else []) + [rule_fields(rule) for rule in self.setting("match") or []]
        for fields in rules:
            found = self._candidates(fields, payload)
            if len(found) > 1:
                raise FatalError(f"{len(found)} {self.flow.target_object} records match on "
                                 f"{', '.join(fields)} ({', '.join(found)}): a person must decide which one this "
                                 f"{self.flow.source_object} is. Link the right one (Bindings) or merge the others, "
                                 "then replay.", field=fields[0])
            if found:
                return found[0]
        if self.setting("policy") == "update_only":
            raise SkippableError(f"No {self.flow.target_object} matches {self._source_words(item)}, and the flow "
                                 "only updates (policy update_only).")
        return None

    def create(self, item: SyncItem, payload: dict) -> str:
        self.written = self.target.create(self.flow.target_connection, self.flow.target_object,
                                          _writable(payload, self._schema, creating=True))
        self._version_store(self.written)
        return self.written.id

    def update(self, item: SyncItem, external_id: str, payload: dict) -> WriteResult | None:
        if self.setting("policy") == "create_only":
            self.written = Written(external_id, {})
            return WriteResult(external_id, "unchanged", {
                "message": f"{self.flow.target_object} {external_id} exists and is left as it is: the flow only "
                           "creates records (policy create_only)."})
        payload = self._after_conflicts(item, external_id, payload)
        self.written = self.target.update(self.flow.target_connection, self.flow.target_object, external_id,
                                          _writable(payload, self._schema, creating=False))
        self._version_store(self.written)

    def write_back(self, item: SyncItem, source: dict, result: WriteResult) -> None:
        spec = self.setting("write_back")
        value = result.external_id if spec.get("value", "id") == "id" else self._target_value(result, spec["value"])
        if not value_same(source.get(spec["field"]), value):
            self.source.update(self.flow.source_connection, self.flow.source_object, item.source_id,
                               {spec["field"]: value})

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        if self.conflict_decided:  # the fields the conflict policy decided, on the item's result
            result.extra["conflict_decided"] = self.conflict_decided

    def delete(self, item: SyncItem, binding) -> WriteResult:
        what = self._source_words(item)
        if binding is None:
            raise SkippableError(f"{what} was deleted; nothing was synced for it, so nothing changes.")
        if self.setting("deletes") == "archive" and self.target.archive(
                self.flow.target_connection, self.flow.target_object, binding.external_id):
            return WriteResult(binding.external_id, "archived",
                               {"reason": f"{what} was deleted; {self.flow.target_object} {binding.external_id} "
                                          "is archived (flow setting deletes)."})
        why = "the flow ignores deletes" if self.setting("deletes") == "ignore" else \
            f"{self.flow.target_connection.system} cannot archive a {self.flow.target_object}"
        raise SkippableError(f"{what} was deleted; {self.flow.target_object} {binding.external_id} is left as is "
                             f"({why}).")

    def source_version(self, source: dict) -> str:
        return self.source.version(self.flow.source_object, source)

    # -- helpers -----------------------------------------------------------------------------------------
    @cached_property
    def _schema(self):
        return self.target.schema(self.flow.target_connection, self.flow.target_object)

    def _source_words(self, item: SyncItem) -> str:
        return f"{self.flow.source_connection.system} {self.flow.source_object} {item.source_id}"

    def _passes(self, record: dict) -> bool:
        condition = self.setting("filter")
        return not condition or condition_holds(condition, record=record)

    def _linked(self, source: dict, field: str, link: dict):
        related = path_get(source, link.get("from", ""))
        if related in (None, ""):
            return None
        found = binding_find(connection=self.flow.source_connection, object_type=link.get("source_object", ""),
                             external_id=related)
        counterpart = entity_binding_find(entity=found.entity_id if found else None,
                                          connection=self.flow.target_connection,
                                          object_type=link.get("target_object", ""))
        if counterpart is None and link.get("when_missing") == "blank":
            return None
        if counterpart is None and link.get("when_missing") == "skip":
            raise SkippableError(f"{field}: {link.get('source_object')} {related} is linked to no "
                                 f"{link.get('target_object')}, and the flow skips such records (links.{field}).")
        if counterpart is None:
            raise RetryableError(f"{field}: {link.get('source_object')} {related} is not linked to a "
                                 f"{link.get('target_object')} yet (the flow that links them has not run); "
                                 "retrying later.")
        return counterpart.external_id

    def _candidates(self, fields: list[str], payload: dict) -> list[str]:
        values = {f: payload.get(f) for f in fields}
        if any(v in (None, "") for v in values.values()):
            return []
        first, *rest = fields
        found = self.target.find(self.flow.target_connection, self.flow.target_object, first, values[first])
        if not rest:
            return found
        matching = []
        for record_id in found:
            record = self.target.get(self.flow.target_connection, self.flow.target_object, record_id) or {}
            if all(value_same(record.get(f), values[f]) for f in rest):
                matching.append(record_id)
        return matching

    def _after_conflicts(self, item: SyncItem, external_id: str, payload: dict) -> dict:
        """The payload after the field-owner policy, when the target changed since our last write."""
        binding = binding_find(connection=self.flow.target_connection, object_type=self.flow.target_object,
                               external_id=external_id)
        last = conflict_baseline(binding, payload)
        if not last:
            return payload
        current = self.target.get(self.flow.target_connection, self.flow.target_object, external_id) or {}
        pair = ConflictPair(self.flow.target_object, payload, {k: current.get(k) for k in payload if k in current},
                            last, record_id=external_id)
        try:
            outcome = conflicts_resolve(flow=self.flow, pairs=[pair], source_system=self.flow.source_connection.system,
                                        resolution=(item.hint or {}).get("resolution"))
        except ConflictHeld as exc:
            item.result = {"conflict": {"fields": exc.detail, "target_id": external_id,
                                        "source_system": self.flow.source_connection.system,
                                        "target_system": self.flow.target_connection.system}}
            SyncItem.objects.filter(pk=item.pk).update(result=item.result)
            raise
        self.conflict_decided = outcome.decided or None
        return outcome.payloads[0]

    def _target_value(self, result: WriteResult, field: str):
        record = self.written.record if self.written and self.written.id == result.external_id else {}
        if field not in record:
            record = self.target.get(self.flow.target_connection, self.flow.target_object, result.external_id) or {}
        return record.get(field)

    def _version_store(self, written: Written) -> None:
        binding_version_store(connection=self.flow.target_connection, object_type=self.flow.target_object,
                              external_id=written.id, version=self.target.version(self.flow.target_object,
                                                                                  written.record))


def _access(system: str):
    access = record_access_for(system)
    if access is None:
        raise FatalError(f"{system} offers no generic object access; a record-sync flow cannot use it.")
    return access


def _writable(payload: dict, schema, *, creating: bool) -> dict:
    """The payload without the fields the target does not let us write (read-only ones, and on an
    update the create-only ones), which a mapping may still produce for matching."""
    out = {}
    for name, value in payload.items():
        field = schema.fields.get(name) if schema else None
        if field is not None and not (field.createable if creating else field.updateable):
            continue
        out[name] = value
    return out
