"""Flow 8: FreshBooks client ⇄ Infor customer, both ways.

One kind per direction (each a Flow row of its own, as flow 1's two directions are):
``freshbooks-client-to-infor-customer`` (FreshBooks "client" → Infor "customer", webhooks)
and ``infor-customer-to-freshbooks-client`` (Infor "customer" → FreshBooks "client", polled
by LMTS through the Infor customer change reader, connectors/infor/changes.py). Both use the
same bindings as the Order-to-Cash chain, so one client has at most one customer.

- Match before create: binding, then reference (M3 YREF = FreshBooks client id), e-mail,
  organisation name normalised as flow 1 does (toolkit/normalise.py).
- Echo suppression: after each write the target's new version (FreshBooks ``updated``, M3
  ``LMTS``) is stored on its binding; a change event showing exactly that version is our
  own write coming back and is skipped. Unchanged mapped content is not sent (engine).
- Conflicts (the target changed since we last synced it, and the source changed too) are
  resolved by the flow's policy: ``newest_wins`` (compare the two change times),
  ``field_owner`` (``settings["field_owner"]`` = {target field: "freshbooks" | "infor"};
  fields the target system owns are not overwritten; unlisted fields follow the source) or
  ``review`` (held for a person).
"""
from __future__ import annotations

from integrations.connectors.preflight import FlowRequirements

from datetime import datetime
from datetime import timezone as dt_timezone

from integrations.connectors.freshbooks.values import accounting_datetime
from integrations.errors import ConflictHeld, SkippableError
from integrations.flows.client_infor.settings import CLIENT_INFOR_SETTINGS
from integrations.flows.toolkit.bindings import (
    binding_find,
    binding_version_store,
)
from integrations.flows.toolkit.handler import BaseFlow
from integrations.flows.toolkit.scope import scope_check
from integrations.flows.toolkit.infor_customers import (
    customer_arguments,
    customer_as_m3,
    infor_customer_match,
)
from integrations.models import Entity, Flow


def lmts_time(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, tz=dt_timezone.utc) if str(value or "").isdigit() else None


class ClientCustomerFlow(BaseFlow):
    """What both directions share: echo check and conflict policy."""

    entity_kind = Entity.Kind.CUSTOMER
    target_system = ""
    settings_spec = CLIENT_INFOR_SETTINGS

    def echo_check(self, item, source: dict) -> None:
        """Skip a change that is exactly the version we wrote (or last synced)."""
        binding = binding_find(connection=self.flow.source_connection_id, object_type=item.source_object,
                               external_id=item.source_id)
        version = self.source_version(source)
        if binding and version and binding.remote_version == version and binding.last_written_at:
            raise SkippableError(f"Echo of Ledgerlink's own write (version {version}); nothing new to send.")

    def resolve_conflict(self, item, external_id: str, payload: dict, target_version: str, target_time,
                         source_time) -> dict:
        """The payload to write after applying the flow's conflict policy (or raise)."""
        target = binding_find(connection=self.flow.target_connection_id, object_type=self.flow.target_object,
                              external_id=external_id)
        if target is None or not target.remote_version or target.remote_version == target_version:
            return payload  # the target did not change since we last saw it: no conflict
        policy = self.flow.conflict_policy
        if policy == Flow.ConflictPolicy.REVIEW:
            raise ConflictHeld(f"Both sides changed since the last sync ({self.flow.target_connection.name} record "
                               f"{external_id} changed too). Decide which version wins, then replay.")
        if policy == Flow.ConflictPolicy.NEWEST_WINS:
            if target_time and source_time and target_time > source_time:
                raise SkippableError(f"Conflict: the {self.target_system} record changed later "
                                     f"({target_time:%Y-%m-%d %H:%M:%S} UTC), so its version wins.")
            return payload
        owners = self.setting("field_owner")
        return {k: v for k, v in payload.items() if owners.get(k, self.flow.source_connection.system) != self.target_system}


class ClientToCustomerFlow(ClientCustomerFlow):
    """Flow kind ``freshbooks-client-to-infor-customer``."""

    target_system = "infor"
    default_mapping_set = "freshbooks-client-to-infor-customer"
    requirements = FlowRequirements(freshbooks_scopes=("user:clients:read",), infor_settings=("m3_customer_template",))

    def lock_key(self, item):  # the same lock as the Order-to-Cash chain's Infor customer step
        return f"infor-customer:{self.flow.source_connection_id}:{item.source_id}"

    def fetch_source(self, item):
        client = self.fb.clients.get(item.source_id)
        if str(client.get("vis_state", 0)) == "1":
            raise SkippableError("The client was deleted in FreshBooks; Infor customers are never deleted by Ledgerlink.")
        scope_check(flow=self.flow, item=item, words=f"FreshBooks client {item.source_id}")
        self.echo_check(item, client)
        return client

    def source_version(self, source):
        return str(source.get("updated") or "")

    def map(self, item, source):
        return self.mapping_apply(source)

    def find_existing(self, item, source, payload):
        found = infor_customer_match(self.infor, reference=str(source["id"]), email=payload.get("MAIL"),
                                     name=payload.get("CUNM"), connection_id=self.flow.target_connection_id)
        return found["customer_number"] if found else None

    def create(self, item, payload):
        result = self.infor.upsert_customer(reference=item.source_id, **customer_arguments(payload))
        self._written = result["customer"]
        return result["customer_number"]

    def update(self, item, external_id, payload):
        current = self.infor.get_customer(customer_number=external_id) or {}
        payload = self.resolve_conflict(item, external_id, payload, current.get("changed_at", ""),
                                        lmts_time(current.get("changed_at")),
                                        accounting_datetime(item.source_snapshot.get("updated")))
        if payload:
            self._written = self.infor.upsert_customer(customer_number=external_id, reference=item.source_id,
                                                       **customer_arguments(payload))["customer"]

    def on_success(self, item, result):
        written = getattr(self, "_written", None)
        if written:
            binding_version_store(connection=self.flow.target_connection_id, object_type=self.flow.target_object,
                                  external_id=result.external_id, version=written.get("changed_at", ""))


class CustomerToClientFlow(ClientCustomerFlow):
    """Flow kind ``infor-customer-to-freshbooks-client``."""

    target_system = "freshbooks"
    default_mapping_set = "infor-customer-to-freshbooks-client"
    requirements = FlowRequirements(freshbooks_scopes=("user:clients:read", "user:clients:write"))

    def fetch_source(self, item):
        customer = self.infor.get_customer(customer_number=item.source_id)
        if customer is None:
            raise SkippableError(f"Infor customer {item.source_id} no longer exists.")
        source = customer_as_m3(customer)
        self.echo_check(item, source)
        return source

    def source_version(self, source):
        return str(source.get("LMTS") or "")

    def map(self, item, source):
        return self.mapping_apply(source)

    def find_existing(self, item, source, payload):
        reference = str(source.get("YREF") or "")
        if reference.isdigit():
            client = self.fb.clients.get(reference)
            if client and str(client.get("vis_state", 0)) != "1":
                return str(client["id"])
        return self.freshbooks_client_by_email(payload.get("email"))

    def create(self, item, payload):
        return self.freshbooks_client_create(payload)

    def update(self, item, external_id, payload):
        current = self.fb.clients.get(external_id)
        payload = self.resolve_conflict(item, external_id, payload, str(current.get("updated") or ""),
                                        accounting_datetime(current.get("updated")),
                                        lmts_time(item.source_snapshot.get("LMTS")))
        if payload:
            self.fb.clients.update(external_id, payload)

    def on_success(self, item, result):
        if result.action in ("created", "updated", "matched"):
            client = self.fb.clients.get(result.external_id)
            binding_version_store(connection=self.flow.target_connection_id, object_type=self.flow.target_object,
                                  external_id=result.external_id, version=str(client.get("updated") or ""))

