"""Likely duplicate clients: one system holds two records that look like the same client
(same normalised email, or same normalised organisation name) bound to different entities.

Emails and organisation names are compared by the same rule the flows match with
(mappings/normalise.py): emails lower-cased and trimmed; organisation names lower-cased with
accents, punctuation and legal-form words (inc, ltd, llc, gmbh, co, corp…) removed. The values are
read from what Ledgerlink last wrote to or read from each record (the binding's stored
payload and extra fields), using each system's own field names (which object types are
clients and where their e-mail / organisation live), given by the provider named in
``settings.LEDGERLINK_DUPLICATE_FIELDS_PROVIDER``: monitoring imports nothing from
integrations, whose connectors know these names.
"""
from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string

from mappings.normalise import email_normalise, org_name_normalise

from ..findings import Found
from ..refs import engine_model

EXPLAIN = __doc__.replace("\n", " ").strip()


def _first(sources: list[dict], names) -> str:
    for source in sources:
        for name in names:
            value = source.get(name)
            if isinstance(value, str) and value.strip():
                return value
    return ""


def client_fields() -> dict[str, dict[str, tuple[str, ...]]]:
    """Per system: {"object_types": (…), "email": (field, …), "organization": (field, …)}."""
    return import_string(settings.LEDGERLINK_DUPLICATE_FIELDS_PROVIDER)()


def duplicate_clients_check(*, now) -> tuple[list[Found], set[str]]:
    Binding = engine_model("Binding")
    fields = client_fields()
    groups: dict[tuple, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    clients = Q(pk__in=[])
    for system, known in fields.items():
        clients |= Q(connection__system=system, object_type__in=known["object_types"])
    qs = Binding.objects.filter(clients).select_related("connection").only(
        "id", "connection__system", "connection__name", "object_type", "external_id", "entity_id", "extra", "last_written_payload"
    )
    for b in qs.iterator(chunk_size=2000):
        sources = [b.extra or {}, b.last_written_payload or {}]
        known = fields[b.connection.system]
        email = email_normalise(_first(sources, known.get("email", ())))
        org = org_name_normalise(_first(sources, known.get("organization", ())))
        if email:
            groups[(b.connection_id, "email", email)][b.entity_id].append(b)
        if org:
            groups[(b.connection_id, "organisation", org)][b.entity_id].append(b)
    found, examined = [], set()
    for (connection_id, what, value), by_entity in groups.items():
        subject = f"client:{connection_id}:{what}:{value}"[:150]
        examined.add(subject)
        if len(by_entity) < 2:
            continue
        bindings = [b for bs in by_entity.values() for b in bs]
        system = bindings[0].connection.name
        found.append(Found(
            subject=subject, title=f"{len(by_entity)} {system} clients share the {what} '{value}'",
            explanation=EXPLAIN, details={"match": what, "value": value, "entities": sorted(by_entity)},
            records=[{"label": f"Entity #{b.entity_id}", "system": b.connection.system, "connection_id": connection_id,
                      "object_type": b.object_type, "external_id": b.external_id, "binding_id": b.pk, "entity_id": b.entity_id}
                     for b in bindings],
        ))
    return found, examined
