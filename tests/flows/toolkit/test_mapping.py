"""The one rule for choosing a mapping set (flows/toolkit/mapping.py), for every flow's steps."""
import pytest

from integrations.flows.toolkit.mapping import mapping_set_choose
from mappings.errors import MappingError
from mappings.models import MappingSet
from tests.factories import FlowFactory

pytestmark = pytest.mark.django_db


def _published(name: str) -> MappingSet:
    return MappingSet.objects.create(name=name, source_system="freshbooks", source_object="client",
                                     target_system="salesforce", target_object="Account",
                                     status=MappingSet.Status.PUBLISHED)


def test_the_flows_own_set_then_the_default_for_the_main_step():
    own, default = _published("own"), _published("default")
    assert mapping_set_choose(flow=FlowFactory(mapping_set=own), default="default") == own
    assert mapping_set_choose(flow=FlowFactory(), default="default") == default


def test_a_step_takes_its_override_from_either_settings_form_else_the_default_never_the_flows_own_set():
    own, default, nested, flat = _published("own"), _published("default"), _published("nested"), _published("flat")
    for settings, chosen in (({"mapping_sets": {"contact": "nested"}}, nested),  # flows 4–8's form
                             ({"contact_mapping_set": "flat"}, flat),  # flows 1–3's form
                             ({"mapping_sets": {"other": "nested"}, "contact_mapping_set": ""}, default)):
        flow = FlowFactory(mapping_set=own, settings=settings)
        assert mapping_set_choose(flow=flow, step="contact", default="default") == chosen, settings


def test_an_override_naming_no_published_set_is_a_mapping_error_naming_it():
    flow = FlowFactory(settings={"mapping_sets": {"contact": "nowhere"}})
    with pytest.raises(MappingError, match="nowhere"):
        mapping_set_choose(flow=flow, step="contact", default="default")
