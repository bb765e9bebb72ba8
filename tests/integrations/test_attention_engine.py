"""What the engine keeps for the error console: the snapshot when mapping fails, a dead letter's
cause, one-attempt field overrides (Edit & retry), and older dead letters a success resolves."""
import pytest
from django.utils import timezone

from integrations.models import ItemAction, SyncItem
from integrations.operations.attention import (
    AttentionRefused,
    item_assign,
    item_edit_retry,
    item_note_add,
    item_resolve,
)
from integrations.sync.engine import sync_item_process
from integrations.sync.items import sync_item_enqueue
from monitoring.measures import dead_by_flow
from tests.factories import FlowFactory

pytestmark = pytest.mark.django_db
S = SyncItem.Status
RECORD = {"Name": "Acme Ltd", "Email": "ap@acme.test", "Amount": 120.5, "CurrencyIsoCode": "EUR"}


def _flow(**settings):
    return FlowFactory(settings={"records": {"001A": RECORD}, **settings})


def _run(item):
    SyncItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    sync_item_process(item_id=item.pk)
    item.refresh_from_db()
    return item


def _enqueue(flow):
    item, _ = sync_item_enqueue(flow=flow, source_object="Account", source_id="001A", dispatch=False)
    return item


def test_a_mapping_failure_keeps_the_source_snapshot():
    item = _run(_enqueue(_flow(fail=[{"step": "map", "kind": "mapping", "value": "???"}])))
    assert item.status == S.DEAD
    assert item.source_snapshot == RECORD


def test_a_dead_letter_stores_its_cause_and_same_causes_share_a_key():
    flow = _flow(fail=[{"step": "map", "kind": "mapping", "value": "???"}])
    first = _run(_enqueue(flow))
    first_key = first.cause_key
    assert first_key.startswith(f"{flow.pk}|map|MappingError|Name")
    assert first.cause_label.startswith(flow.name)
    second = _run(_enqueue(flow))
    assert second.pk != first.pk and second.cause_key == first_key


def test_a_later_success_resolves_the_older_dead_letter_saying_so():
    flow = _flow(fail=[{"step": "create", "kind": "fatal", "message": "bad tax code"}])
    old = _run(_enqueue(flow))
    assert old.status == S.DEAD and dead_by_flow() == {flow.pk: 1}
    flow.settings = {"records": {"001A": RECORD}}  # the cause is fixed
    flow.save()
    new = _run(_enqueue(flow))  # a later change of the same record, through the same flow
    assert new.status == S.SUCCEEDED and new.pk != old.pk
    old.refresh_from_db()
    assert (old.status, old.resolution) == (S.DEAD, SyncItem.Resolution.RESOLVED)
    assert old.resolution_note == f"Resolved by the success of item {new.pk}."
    assert ItemAction.objects.get(item=old).action == "resolved"
    assert dead_by_flow() == {}


def test_resolve_and_ignore_need_a_note_and_are_audited(django_user_model):
    user = django_user_model.objects.create_user("fin", is_staff=True)
    item = _run(_enqueue(_flow(fail=[{"step": "create", "kind": "fatal"}])))
    with pytest.raises(AttentionRefused, match="needs a note"):
        item_resolve(item=item, user=user, note="  ", resolution="ignored")
    item_assign(item=item, assignee=user, user=user)
    item_note_add(item=item, user=user, text="Asked the vendor for the tax code.")
    item = item_resolve(item=item, user=user, note="Duplicate of an invoice entered by hand.", resolution="ignored")
    assert (item.resolution, item.resolved_by, item.assignee) == ("ignored", user, user)
    assert [a.action for a in item.actions.order_by("pk")] == ["assigned", "noted", "ignored"]
    with pytest.raises(AttentionRefused, match="already ignored"):
        item_resolve(item=item, user=user, note="again")


def test_edit_and_retry_overrides_a_mapped_field_for_one_attempt(django_user_model):
    user = django_user_model.objects.create_user("fin", is_staff=True)
    flow = _flow(fail=[{"step": "create", "kind": "fatal", "message": "email refused",
                        "unless": {"email": "billing@acme.test"}}])
    item = _run(_enqueue(flow))
    assert item.status == S.DEAD
    SyncItem.objects.filter(pk=item.pk).update(status=S.PENDING)  # a plain replay fails again:
    item = _run(item)
    assert item.status == S.DEAD
    item_edit_retry(item=item, user=user, overrides={"email": "billing@acme.test"})
    item = _run(item)
    assert item.status == S.SUCCEEDED
    assert item.mapped_payload == {"organization": "Acme Ltd", "email": "billing@acme.test"}
    assert item.field_overrides == {}  # one attempt only
    assert RECORD["Email"] == "ap@acme.test" and flow.settings["records"]["001A"]["Email"] == "ap@acme.test"
    audit = ItemAction.objects.get(item=item, action="edit_retry")
    assert audit.data == {"overrides": {"email": "billing@acme.test"}, "before": {"email": "ap@acme.test"}}
    assert audit.username == "fin"


def test_a_sentence_naming_no_record_is_the_cause_one_naming_a_record_is_not():
    plain = _run(_enqueue(_flow(fail=[{"step": "create", "kind": "fatal", "message": "FreshBooks refused the tax code."}])))
    assert plain.cause_label.endswith(": FreshBooks refused the tax code")
    assert plain.cause_key.endswith("|FreshBooks refused the tax code.")
    named = _run(_enqueue(_flow(fail=[{"step": "create", "kind": "fatal", "message": "Client 4711 is archived."}])))
    assert named.cause_label.endswith(": FatalError while create") and "4711" not in named.cause_key
