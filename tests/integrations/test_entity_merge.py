"""Two entities met as one thing from two flows (integrations/sync/entities.py): one deal seen from both ends
is merged; two records of one kind (a duplicate) or two kinds of thing are never merged."""
import logging

import pytest

from integrations.errors import RetryableError
from integrations.models import Entity, EntityLink, SyncItem
from integrations.sync.entities import entity_merge
from tests.factories import BindingFactory, ConnectionFactory, EntityFactory, SyncItemFactory

pytestmark = pytest.mark.django_db
DEAL = Entity.Kind.DEAL


@pytest.fixture
def systems():
    return ConnectionFactory(system="salesforce"), ConnectionFactory(system="freshbooks")


def test_one_deal_seen_from_two_flows_becomes_one_entity_with_its_items_and_links(systems, caplog):
    sf, fb = systems
    deal = EntityFactory(kind=DEAL, label="Initrode — Opportunity 'Q4'")
    BindingFactory(entity=deal, connection=sf, object_type="Opportunity", external_id="006A")
    other = EntityFactory(kind=DEAL)
    BindingFactory(entity=other, connection=fb, object_type="invoice", external_id="42")
    BindingFactory(entity=other, connection=sf, object_type="FreshBooks_Invoice__c", external_id="a0F1")
    item = SyncItemFactory(entity=other)
    customer = EntityFactory()
    EntityLink.objects.create(from_entity=other, to_entity=customer, relation="billed_to")
    EntityLink.objects.create(from_entity=deal, to_entity=customer, relation="billed_to")
    EntityLink.objects.create(from_entity=deal, to_entity=other, relation="invoiced_by")  # an edge between the two

    other_id = other.pk
    with caplog.at_level(logging.INFO, logger="integrations.sync.entities"):
        assert entity_merge(keep=deal, other=other)
    assert f"Entity {other_id} merged into entity {deal.pk} (2 binding(s) moved)" in caplog.text
    assert not Entity.objects.filter(pk=other_id).exists()
    assert set(deal.bindings.values_list("object_type", flat=True)) == {"Opportunity", "invoice",
                                                                         "FreshBooks_Invoice__c"}
    assert SyncItem.objects.get(pk=item.pk).entity_id == deal.pk
    assert list(EntityLink.objects.values_list("from_entity", "to_entity", "relation")) == \
        [(deal.pk, customer.pk, "billed_to")]
    deal.refresh_from_db()
    assert deal.label == "Initrode — Opportunity 'Q4'"


def test_two_records_of_one_kind_are_a_duplicate_never_merged(systems):
    sf, fb = systems
    first, second = EntityFactory(kind=DEAL), EntityFactory(kind=DEAL)
    BindingFactory(entity=first, connection=sf, object_type="Opportunity", external_id="006A")
    BindingFactory(entity=second, connection=sf, object_type="Opportunity", external_id="006B")
    BindingFactory(entity=second, connection=fb, object_type="invoice", external_id="42")
    assert not entity_merge(keep=first, other=second)
    assert Entity.objects.filter(pk=second.pk).exists() and second.bindings.count() == 2


def test_two_kinds_of_thing_are_never_merged(systems):
    sf, fb = systems
    deal, customer = EntityFactory(kind=DEAL), EntityFactory(kind=Entity.Kind.CUSTOMER)
    BindingFactory(entity=deal, connection=sf, object_type="Opportunity", external_id="006A")
    BindingFactory(entity=customer, connection=fb, object_type="client", external_id="7")
    assert not entity_merge(keep=deal, other=customer)
    assert customer.bindings.count() == 1


def test_a_label_comes_along_when_the_kept_entity_has_none(systems):
    sf, fb = systems
    keep, other = EntityFactory(kind=DEAL), EntityFactory(kind=DEAL, label="INV-0042")
    BindingFactory(entity=other, connection=fb, object_type="invoice", external_id="42")
    assert entity_merge(keep=keep, other=other)
    keep.refresh_from_db()
    assert keep.label == "INV-0042"


def test_an_entity_merged_away_meanwhile_is_a_retry_not_a_duplicate(systems):
    """Two workers meeting the same pair from opposite ends: the second finds one entity gone (the first
    merged it) and tries again, when its record is found on the entity that stayed."""
    sf, fb = systems
    keep, other = EntityFactory(kind=DEAL), EntityFactory(kind=DEAL)
    BindingFactory(entity=other, connection=fb, object_type="invoice", external_id="42")
    gone = Entity(pk=other.pk, kind=DEAL)
    assert entity_merge(keep=keep, other=other)
    with pytest.raises(RetryableError, match="at the same moment"):
        entity_merge(keep=keep, other=gone)
