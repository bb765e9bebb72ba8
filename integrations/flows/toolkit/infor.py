"""What the Infor flows (4–8) share: their clients, mapping look-ups, bindings and entity links.

Each flow module keeps its own decisions; this module only answers "which client", "which
mapping set", "which record is bound to what" and "link these two entities".
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.db import IntegrityError, transaction

from integrations.errors import FatalError, SkippableError
from integrations.models import Binding, Connection, EntityLink
from integrations.sync.handler import FlowHandler
from mappings.engine import mapping_apply_or_raise, mapping_set_published


def email_key(email: str | None) -> str:
    return str(email or "").strip().lower()


def name_key(name: str | None) -> str:
    """Lower case, accents and punctuation removed: "Acme, Inc." and "ACME Inc" match."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().lower()
    return " ".join(w for w in re.split(r"[^a-z0-9]+", text) if w)


def decimal_of(value, default: str = "0") -> Decimal:
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return Decimal(str(value if value not in (None, "") else default))
    except InvalidOperation:
        raise FatalError(f"'{value}' is not an amount.") from None


# M3 customer fields (what the mapping sets produce) → InforErpAdapter.upsert_customer arguments.
M3_CUSTOMER_ARGS = {
    "CUNM": "name", "CUA1": "address_line1", "CUA2": "address_line2", "TOWN": "city", "PONO": "postal_code",
    "CSCD": "country", "MAIL": "email", "PHNO": "phone", "CUCL": "customer_group", "CUCD": "currency",
    "PYCD": "payment_method", "TEPY": "payment_terms", "CUTM": "template",
}


def customer_arguments(payload: dict) -> dict:
    return {arg: str(payload[field]) for field, arg in M3_CUSTOMER_ARGS.items() if payload.get(field) not in (None, "")}


def binding_find(*, connection_id: int, object_type: str, external_id) -> Binding | None:
    return Binding.objects.select_related("entity").filter(
        connection_id=connection_id, object_type=object_type, external_id=str(external_id)).first()


def binding_of_entity(*, entity_id: int | None, connection_id: int, object_type: str) -> Binding | None:
    if entity_id is None:
        return None
    return Binding.objects.filter(entity_id=entity_id, connection_id=connection_id, object_type=object_type).first()


def entities_link(*, from_entity_id: int | None, to_entity_id: int | None, relation: str) -> None:
    """An edge of the deal chain (customer → order → payment), made once."""
    if not from_entity_id or not to_entity_id or from_entity_id == to_entity_id:
        return
    try:
        with transaction.atomic():
            EntityLink.objects.get_or_create(from_entity_id=from_entity_id, to_entity_id=to_entity_id, relation=relation)
    except IntegrityError:
        pass  # another worker made the same edge


def binding_extra_update(*, binding: Binding | None, **values) -> None:
    if binding is None:
        return
    binding.extra = {**(binding.extra or {}), **values}
    binding.save(update_fields=["extra", "updated_at"])


def binding_version_store(*, connection_id: int, object_type: str, external_id, version: str) -> None:
    """Remember the version our own write produced, so its echo (a poll or webhook showing
    exactly that version) is recognised and not sent back."""
    if version:
        Binding.objects.filter(connection_id=connection_id, object_type=object_type,
                               external_id=str(external_id)).update(remote_version=str(version)[:120])


def infor_flows_poll(*, kind: str, poll) -> dict:
    """Run ``poll(flow=…)`` for every enabled flow of this kind reading Infor; one flow's
    failure (Infor down, a token refused) is reported and does not stop the others."""
    from integrations.errors import AuthError, RetryableError
    from integrations.models import Flow

    summary = {}
    flows = Flow.objects.filter(enabled=True, kind=kind, source_connection__system="infor",
                                source_connection__is_active=True).select_related("source_connection")
    for flow in flows:
        try:
            summary[flow.name] = poll(flow=flow)
        except (RetryableError, FatalError, AuthError) as exc:
            summary[flow.name] = {"error": str(exc)}
    return summary


class InforFlowHandler(FlowHandler):
    """A flow (or one step of a chain) that talks to FreshBooks and/or Infor M3."""

    #: mapping set looked up by name when the flow names none (flow.settings["mapping_sets"][key] overrides)
    mapping_set_name: str = ""

    def connection_of(self, system: str) -> Connection:
        flow = self.flow
        for connection in (flow.source_connection, flow.target_connection):
            if connection is not None and connection.system == system:
                return connection
        named = self.setting(f"{system}_connection")
        connection = Connection.objects.filter(name=named, system=system).first() if named else None
        if connection is None:
            raise FatalError(f"Flow '{flow.name}' needs a {system} connection: set it as the source or target, or "
                             f"name it in the flow's settings as \"{system}_connection\".")
        return connection

    @cached_property
    def freshbooks_connection(self) -> Connection:
        return self.connection_of("freshbooks")

    @cached_property
    def infor_connection(self) -> Connection:
        return self.connection_of("infor")

    @cached_property
    def fb(self):
        from integrations.connectors.freshbooks.client import FreshBooksClient

        return FreshBooksClient(self.freshbooks_connection)

    @cached_property
    def infor(self):
        from integrations.connectors.infor.adapter import infor_adapter_for

        return infor_adapter_for(self.infor_connection)

    def freshbooks_client_by_email(self, email: str | None) -> str | None:
        """The id of the FreshBooks client with this e-mail address (the first when several)."""
        if not email_key(email):
            return None
        for client in self.fb.clients.list(search={"email": email_key(email)}, per_page=5).items:
            return str(client["id"])
        return None

    def freshbooks_client_create(self, payload: dict) -> str:
        return str(self.fb.clients.create(payload)["id"])

    def freshbooks_live(self, resource: str, object_id, words: str) -> dict:
        """A FreshBooks record read fresh; a deleted one ends the item as skipped, saying so."""
        record = getattr(self.fb, resource).get(object_id)
        if str(record.get("vis_state", 0)) == "1":
            raise SkippableError(f"The {words} was deleted in FreshBooks before it reached Infor.")
        return record

    def mapping_apply(self, source: dict, *, key: str = "", name: str = "") -> dict:
        """Map with the step's mapping set: the flow's settings by key, the flow's own set, or the default name."""
        override = (self.setting("mapping_sets") or {}).get(key) if key else None
        if override:
            mapping_set = mapping_set_published(override)
        elif self.flow.mapping_set_id and not key:
            mapping_set = self.flow.mapping_set
        else:
            mapping_set = mapping_set_published(name or self.mapping_set_name)
        return mapping_apply_or_raise(mapping_set, source)
