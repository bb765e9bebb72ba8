"""The Needs attention pages as Finance staff: the list and its filters, the bulk confirmation
listing the rows, the dead letter page leading to the item's page."""
import pytest
from django.urls import reverse

from integrations.models import ItemAction, SyncItem
from integrations.permissions import FINANCE_GROUP, groups_sync
from tests.factories import SyncItemFactory
from tests.integrations.staff_dataset import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client, django_user_model):
    groups_sync()
    user = staff_user(django_user_model, FINANCE_GROUP)
    client.force_login(user)
    return user


@pytest.fixture
def items():
    a = SyncItemFactory(status="dead", cause_key="c1", cause_label="flow: 'Hotel' not in t", last_error="no Hotel",
                        source_snapshot={"organization": "Acme Ltd", "invoice_number": "INV-7",
                                         "amount": {"amount": "12.00", "code": "EUR"}, "create_date": "2024-05-01"})
    b = SyncItemFactory(flow=a.flow, status="dead", cause_key="c1", cause_label=a.cause_label, last_error="no Hotel")
    other = SyncItemFactory(status="held", last_error="Held for review: both changed")
    SyncItemFactory(flow=a.flow, status="dead", resolution="ignored", last_error="ignored one")
    SyncItemFactory(flow=a.flow, status="succeeded")
    return {"a": a, "b": b, "held": other}


def test_the_list_shows_business_fields_groups_and_filters(client, finance, items):
    page = client.get(reverse("admin:needs_attention")).content.decode()
    assert "Acme Ltd" in page and "INV-7" in page and "12.00 EUR" in page and "2024-05-01" in page
    assert "flow: &#x27;Hotel&#x27; not in t" in page and "ignored one" not in page
    assert f"Held conflict {items['held'].pk}" in page
    only_flow = client.get(reverse("admin:needs_attention"), {"flow": items["held"].flow_id}).content.decode()
    assert f"Held conflict {items['held'].pk}" in only_flow and "Acme Ltd" not in only_flow
    by_cause = client.get(reverse("admin:needs_attention"), {"cause": "c1"}).content.decode()
    assert f"Dead letter {items['b'].pk}" in by_cause and f"Held conflict {items['held'].pk}" not in by_cause
    SyncItem.objects.filter(pk=items["b"].pk).update(assignee=finance)
    mine = client.get(reverse("admin:needs_attention"), {"assignee": finance.pk}).content.decode()
    assert f"Dead letter {items['b'].pk}</a>" in mine and f"Dead letter {items['a'].pk}</a>" not in mine
    assert client.get(reverse("admin:needs_attention"), {"flow": "x"}).status_code == 200  # bad input: no filter


def test_bulk_resolve_confirms_listing_the_rows_and_needs_a_note(client, finance, items):
    url = reverse("admin:needs_attention_bulk")
    selected = [items["a"].pk, items["b"].pk]
    confirm = client.post(url, {"action": "resolve", "items": selected})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Resolve these 2 item(s)?" in body and "Acme Ltd" in body
    assert not ItemAction.objects.exists()  # nothing before the confirmation
    client.post(url, {"action": "resolve", "items": selected, "confirmed": "yes", "note": ""})
    assert set(SyncItem.objects.filter(pk__in=selected).values_list("resolution", flat=True)) == {""}
    done = client.post(url, {"action": "resolve", "items": selected, "confirmed": "yes", "note": "Paid by hand."})
    assert done.status_code == 302
    assert set(SyncItem.objects.filter(pk__in=selected).values_list("resolution", flat=True)) == {"resolved"}


def test_bulk_assign_and_replay(client, finance, items):
    url = reverse("admin:needs_attention_bulk")
    client.post(url, {"action": "assign", "items": [items["a"].pk], "confirmed": "yes", "assignee": finance.pk})
    assert SyncItem.objects.get(pk=items["a"].pk).assignee == finance
    client.post(url, {"action": "replay", "items": [items["b"].pk], "confirmed": "yes"})
    assert SyncItem.objects.get(pk=items["b"].pk).status == "pending"
    assert list(ItemAction.objects.order_by("pk").values_list("action", flat=True)) == ["assigned", "replayed"]


def test_a_dead_letter_opens_on_its_needs_attention_page(client, finance, items):
    response = client.get(reverse("admin:integrations_deadletter_change", args=[items["a"].pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:needs_attention_item", args=[items["a"].pk])
    held = client.get(reverse("admin:needs_attention_item", args=[items["held"].pk])).content.decode()
    assert reverse("admin:integrations_conflict_resolve", args=[items["held"].pk]) in held
    assert client.get(reverse("admin:needs_attention_item", args=[999999])).status_code == 404
    assert client.post(reverse("admin:needs_attention_item", args=[items["a"].pk]), {"do": "drop"}).status_code == 400


def test_the_dead_letter_list_keeps_worked_ones_and_says_how_they_were_closed(client, finance, items):
    url = reverse("admin:integrations_deadletter_changelist")
    everything = client.get(url).content.decode()
    assert "ignored one" in everything and "no Hotel" in everything  # all dead letters, worked or not
    ignored = client.get(url, {"resolution__exact": "ignored"}).content.decode()
    assert "ignored one" in ignored and "no Hotel" not in ignored
    open_ones = client.get(url, {"resolution__exact": ""}).content.decode()
    assert "no Hotel" in open_ones and "ignored one" not in open_ones


def test_a_finding_on_the_list_is_assigned_and_noted_from_its_page(client, finance, items, django_user_model):
    from django.utils import timezone

    from integrations.permissions import ADMIN_GROUP
    from monitoring.models import Finding

    now = timezone.now()
    finding = Finding.objects.create(check_name="amount_mismatch", fingerprint="fp-a", title="Invoice total differs",
                                     first_seen_at=now, last_seen_at=now)
    colleague = staff_user(django_user_model, ADMIN_GROUP)
    url = reverse("admin:monitoring_finding_change", args=[finding.pk])
    page = client.get(url).content.decode()
    assert 'name="assignee"' in page and 'name="note"' in page and "No notes yet." in page
    saved = client.post(url, {"assignee": colleague.pk, "note": "Asked the customer for the remittance."})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    finding.refresh_from_db()
    assert finding.assignee == colleague and finding.status == Finding.Status.OPEN  # nothing else changed
    thread = [(n.username, n.text) for n in finding.notes.all()]
    assert thread == [(finance.username, f"Assigned to {colleague.username}."),
                      (finance.username, "Asked the customer for the remittance.")]
    assert "Asked the customer for the remittance." in client.get(url).content.decode()
    listed = client.get(reverse("admin:needs_attention"), {"assignee": colleague.pk}).content.decode()
    assert "Invoice total differs" in listed and "Acme Ltd" not in listed  # the assignee filter covers findings
    client.post(url, {"assignee": colleague.pk, "note": "  "})
    assert finding.notes.count() == 2  # an empty note adds nothing; the unchanged assignee is not noted again


def test_who_may_not_decide_findings_sees_the_thread_but_cannot_save(client, django_user_model):
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from monitoring.models import Finding, FindingNote

    now = timezone.now()
    finding = Finding.objects.create(check_name="x", fingerprint="fp-b", title="Looks odd", first_seen_at=now,
                                     last_seen_at=now)
    FindingNote.objects.create(finding=finding, username="ann", text="Checked the bank feed.")
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_finding"))
    client.force_login(viewer)
    url = reverse("admin:monitoring_finding_change", args=[finding.pk])
    page = client.get(url).content.decode()
    assert "Checked the bank feed." in page and 'name="note"' not in page
    assert client.post(url, {"assignee": viewer.pk, "note": "mine"}).status_code == 403
    assert Finding.objects.get(pk=finding.pk).assignee is None and finding.notes.count() == 1
