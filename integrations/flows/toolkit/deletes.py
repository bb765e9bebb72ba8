"""What the flows reading Salesforce do when their source record is deleted there.

Finance never wants Ledgerlink to destroy accounting records because a CRM record was
deleted. By default the FreshBooks record is left as it is and the item ends *skipped* with a
sentence saying so; a flow setting may archive it instead (FreshBooks ``vis_state`` 2: hidden
from lists, restorable, nothing lost). Flow 1 (Account → client): ``on_account_deleted`` =
"leave" | "archive". Flow 2 (Opportunity → invoice): ``on_opportunity_deleted`` = "leave" |
"archive_draft" (a draft only; anything sent is never touched, and a finding asks finance to
look at the invoice).

Either way the deleted record's binding is removed from its entity, so nothing later updates,
matches through or reconciles against a record that no longer exists, and a restored or new
Salesforce record can be linked to the same FreshBooks record again. The FreshBooks record's
binding keeps a note of the delete (``extra["salesforce_deleted"]``) that the other flows read
to explain themselves: the client → Account flow does not create the Account again, flow 3
does not look for the Opportunity. Linking a Salesforce record to it again clears the note
(and un-archives what Ledgerlink archived for the delete).
"""
from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.errors import FatalError, SkippableError
from integrations.models import Binding, SyncItem

NOTE = "salesforce_deleted"


def delete_setting(handler, name: str, choices: tuple[str, ...]) -> str:
    """The flow's choice for deletes (the first choice is the default), checked."""
    value = handler.setting(name, choices[0])
    if value not in choices:
        raise FatalError(f"Flow setting {name} is {value!r}; it must be one of: {', '.join(choices)}. Fix the flow's "
                         "settings, then replay.", field=name)
    return value


def salesforce_delete_confirm(sf, item: SyncItem) -> None:
    """Events are hints: a record deleted and restored since is not treated as deleted (its
    restore arrives as a change and is synced as one)."""
    try:
        sf.get(item.source_object, item.source_id, fields=["Id"])
    except RecordNotFound:
        return
    raise SkippableError(f"Salesforce {item.source_object} {item.source_id} was deleted and has been restored "
                         "since; nothing to do for the delete (the restore is synced as a change).")


def salesforce_unlink(*, connection, item: SyncItem, target: Binding, archived: bool,
                      also: tuple[str, ...] = ()) -> None:
    """Remove the deleted record's binding (and those of ``also``, deleted with it in
    Salesforce) from the entity, and note the delete on the FreshBooks record's binding."""
    Binding.objects.filter(entity_id=target.entity_id, connection=connection,
                           object_type__in=(item.source_object, *also)).delete()
    note = {"object_type": item.source_object, "external_id": item.source_id, "sync_item": item.pk,
            "deleted_at": timezone.now().isoformat(), "archived": archived}
    target.extra = {**target.extra, NOTE: note}
    target.save(update_fields=["extra", "updated_at"])


def salesforce_deleted_note(binding: Binding | None) -> dict | None:
    return (binding.extra or {}).get(NOTE) if binding else None


def salesforce_deleted_words(note: dict) -> str:
    """'Salesforce Account 001… was deleted there on 2026-05-01'."""
    return (f"Salesforce {note['object_type']} {note['external_id']} was deleted there on "
            f"{str(note.get('deleted_at') or '')[:10]}")


def salesforce_relinked(*, binding: Binding | None, unarchive: Callable[[], object]) -> None:
    """A Salesforce record is linked to this FreshBooks record again (restored, or a new one
    matched): drop the note, and un-archive it if Ledgerlink archived it for the delete."""
    note = salesforce_deleted_note(binding)
    if not note:
        return
    if note.get("archived"):
        unarchive()
    binding.extra = {k: v for k, v in binding.extra.items() if k != NOTE}
    binding.save(update_fields=["extra", "updated_at"])
