"""What the Salesforce ⇄ FreshBooks flows share: their clients, mapping look-ups, bindings,
entity links and value comparison. Each flow module keeps only its own decisions."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.db import IntegrityError, transaction

from integrations.connectors.salesforce.replication import sf_datetime_parse
from integrations.models import Binding, Entity, EntityLink
from integrations.sync.handler import FlowHandler
from mappings.engine import mapping_apply_or_raise, mapping_set_published

# Legal-form words that do not tell two organisations apart ("Acme Inc." is "ACME").
ORG_SUFFIXES = {"inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh",
                "ag", "sa", "sarl", "bv", "nv", "plc", "pty", "oy", "ab", "as", "srl", "spa", "the"}


def org_name_normalise(name: str | None) -> str:
    """Lower case, accents and punctuation removed, legal-form words dropped."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text.replace("&", " and ")) if w]
    kept = [w for w in words if w not in ORG_SUFFIXES]
    return " ".join(kept or words)


def email_normalise(email: str | None) -> str:
    return str(email or "").strip().lower()


sf_datetime = sf_datetime_parse  # one parser for Salesforce datetimes, the connector's


def value_same(a, b) -> bool:
    """Equal as finance would read them: blank is blank, 10 == 10.00, text ignores outer spaces."""
    a, b = _plain(a), _plain(b)
    if a == b:
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError, TypeError):
        return False


def _plain(value):
    if isinstance(value, dict) and "amount" in value:
        value = value["amount"]
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


class SalesforceFreshBooksHandler(FlowHandler):
    """A flow between one Salesforce and one FreshBooks connection (either direction)."""

    #: the mapping set looked up by name when the flow has none selected
    default_mapping_set: str = ""

    @cached_property
    def salesforce_connection(self):
        flow = self.flow
        return flow.source_connection if flow.source_connection.system == "salesforce" else flow.target_connection

    @cached_property
    def freshbooks_connection(self):
        flow = self.flow
        return flow.source_connection if flow.source_connection.system == "freshbooks" else flow.target_connection

    @cached_property
    def sf(self):
        from integrations.connectors.salesforce.client import SalesforceClient

        return SalesforceClient(self.salesforce_connection)

    @cached_property
    def fb(self):
        from integrations.connectors.freshbooks.client import FreshBooksClient

        return FreshBooksClient(self.freshbooks_connection)

    def mapping_set(self, setting: str = ""):
        """The flow's own mapping set, or the published one named by a flow setting (its declared default
        when unset)."""
        if not setting and self.flow.mapping_set_id:
            return self.flow.mapping_set
        return mapping_set_published(self.setting(setting) if setting else self.default_mapping_set)

    def apply_mapping(self, record: dict, *, setting: str = "") -> dict:
        return mapping_apply_or_raise(self.mapping_set(setting), record)


def binding_get(*, connection, object_type: str, external_id) -> Binding | None:
    return Binding.objects.select_related("entity").filter(
        connection=connection, object_type=object_type, external_id=str(external_id)).first()


def entity_binding(*, entity, connection, object_type: str) -> Binding | None:
    if entity is None:
        return None
    return Binding.objects.filter(entity=entity, connection=connection, object_type=object_type).first()


def binding_ensure(*, connection, object_type: str, external_id, entity: Entity | None = None,
                   kind: str = Entity.Kind.CUSTOMER, extra: dict | None = None) -> Binding:
    """The binding of this record, made (with a new entity unless one is given) when missing."""
    found = binding_get(connection=connection, object_type=object_type, external_id=external_id)
    if found:
        return found
    try:
        with transaction.atomic():
            entity = entity or Entity.objects.create(kind=kind)
            return Binding.objects.create(connection=connection, object_type=object_type,
                                          external_id=str(external_id), entity=entity, extra=extra or {})
    except IntegrityError:  # made by another worker at the same moment, or the entity already has one
        found = binding_get(connection=connection, object_type=object_type, external_id=external_id)
        if found is None:
            from integrations.errors import FatalError

            raise FatalError(f"{object_type} {external_id} cannot be linked: the record it belongs to is already "
                             f"linked to another {object_type}. Merge or unlink the duplicate, then replay.") from None
        return found


def entity_link_ensure(*, from_entity: Entity, to_entity: Entity, relation: str) -> None:
    if from_entity.pk == to_entity.pk:
        return
    EntityLink.objects.get_or_create(from_entity=from_entity, to_entity=to_entity, relation=relation)
