"""The one set of binding and entity helpers every flow uses.

``connection`` and ``entity`` take a model instance or its primary key (Django's lookups
accept both), so a caller passes whichever it holds without an extra query.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from integrations.errors import FatalError
from integrations.models import Binding, Entity, EntityLink


def _pk(value):
    return getattr(value, "pk", value)


def binding_find(*, connection, object_type: str, external_id) -> Binding | None:
    """The binding of one record (with its entity), or None."""
    return Binding.objects.select_related("entity").filter(
        connection=_pk(connection), object_type=object_type, external_id=str(external_id)).first()


def entity_binding_find(*, entity, connection, object_type: str) -> Binding | None:
    """The record of this type, in this connection, bound to the entity; None without an entity."""
    if entity is None:
        return None
    return Binding.objects.filter(entity=_pk(entity), connection=_pk(connection), object_type=object_type).first()


def binding_ensure(*, connection, object_type: str, external_id, entity=None,
                   kind: str = Entity.Kind.CUSTOMER, extra: dict | None = None) -> Binding:
    """The binding of this record, made (with a new entity unless one is given) when missing."""
    found = binding_find(connection=connection, object_type=object_type, external_id=external_id)
    if found:
        return found
    try:
        with transaction.atomic():
            entity_id = _pk(entity) if entity is not None else Entity.objects.create(kind=kind).pk
            return Binding.objects.create(connection_id=_pk(connection), object_type=object_type,
                                          external_id=str(external_id), entity_id=entity_id, extra=extra or {})
    except IntegrityError:  # made by another worker at the same moment, or the entity already has one
        found = binding_find(connection=connection, object_type=object_type, external_id=external_id)
        if found is None:
            raise FatalError(f"{object_type} {external_id} cannot be linked: the record it belongs to is already "
                             f"linked to another {object_type}. Merge or unlink the duplicate, then replay.") from None
        return found


def entity_link_ensure(*, from_entity, to_entity, relation: str) -> None:
    """An edge of the deal chain (customer → order → payment), made once; nothing when either
    end is missing or both are the same entity."""
    from_id, to_id = _pk(from_entity), _pk(to_entity)
    if not from_id or not to_id or from_id == to_id:
        return
    try:
        with transaction.atomic():
            EntityLink.objects.get_or_create(from_entity_id=from_id, to_entity_id=to_id, relation=relation)
    except IntegrityError:
        pass  # another worker made the same edge


def bindings_by_extra(*, connection, object_type: str, **extra) -> list[Binding]:
    """The bindings whose ``extra`` holds these values (e.g. the shop customer id a customer was seen with)."""
    return list(Binding.objects.filter(connection_id=_pk(connection), object_type=object_type,
                                       **{f"extra__{key}": value for key, value in extra.items()}).order_by("pk"))


def binding_extra_update(*, binding: Binding | None, **values) -> None:
    if binding is None:
        return
    binding.extra = {**(binding.extra or {}), **values}
    binding.save(update_fields=["extra", "updated_at"])


def binding_version_store(*, connection, object_type: str, external_id, version: str) -> None:
    """Remember the version our own write produced, so its echo (a poll or webhook showing
    exactly that version) is recognised and not sent back."""
    if version:
        Binding.objects.filter(connection=_pk(connection), object_type=object_type,
                               external_id=str(external_id)).update(remote_version=str(version)[:120])
