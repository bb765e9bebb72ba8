"""Infor M3 objects by descriptor (connectors/infor/objects.py), against the simulator over real HTTP."""
import pytest

from integrations.connectors.infor.objects import InforObjects
from integrations.connectors.objects import ObjectUnknown
from integrations.errors import FatalError

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_is_added_read_found_and_changed_through_its_descriptor(m3_connection):
    m3 = InforObjects()
    written = m3.create(m3_connection, "customer", {"CUTM": "TMPL", "CUNM": "Acme Ltd", "CUA1": "1 Main St",
                                                     "YREF": "GENERIC-7"})
    assert written.id
    assert m3.get(m3_connection, "customer", written.id)["CUNM"] == "Acme Ltd"
    assert m3.find(m3_connection, "customer", "CUNO", written.id) == [written.id]
    m3.update(m3_connection, "customer", written.id, {"CUNM": "Acme Limited"})
    assert m3.get(m3_connection, "customer", written.id)["CUNM"] == "Acme Limited"
    assert m3.schema(m3_connection, "customer").fields["CUNM"].max_length == 36


def test_what_a_descriptor_lacks_is_refused_naming_it(m3_connection):
    m3 = InforObjects()
    with pytest.raises(FatalError, match="Infor item \\(MMS200MI\\) has no add transaction"):
        m3.create(m3_connection, "item", {"ITNO": "A1"})
    with pytest.raises(ObjectUnknown, match="infor has no object 'vendor'. Known: customer, item, order."):
        m3.get(m3_connection, "vendor", "1")
