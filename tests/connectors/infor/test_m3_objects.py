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


def test_an_item_is_added_read_found_listed_and_changed_through_its_descriptor(m3_connection):
    """MMS200MI: AddItmBasic, GetItmBasic, LstByNumber, UpdItmBasic (an Infor item → FreshBooks item flow reads
    items; the other way writes them)."""
    m3 = InforObjects()
    written = m3.create(m3_connection, "item", {"ITNO": "GEN-100", "ITDS": "Bowl", "UNMS": "PCS", "ITGR": "KITCH"})
    assert written.id == "GEN-100"
    item = m3.get(m3_connection, "item", "GEN-100")
    assert item["ITDS"] == "Bowl" and item["ITGR"] == "KITCH" and item["STAT"] == "20" and item["LMTS"]
    assert m3.find(m3_connection, "item", "ITNO", "GEN-100") == ["GEN-100"]
    assert m3.find(m3_connection, "item", "ITGR", "KITCH") == ["GEN-100"]  # through LstByNumber
    m3.update(m3_connection, "item", "GEN-100", {"ITDS": "Large bowl"})
    changed = m3.get(m3_connection, "item", "GEN-100")
    assert changed["ITDS"] == "Large bowl" and int(changed["LMTS"]) >= int(item["LMTS"])
    assert m3.get(m3_connection, "item", "NO-SUCH") is None  # M3's NOK on the key: it does not exist
    assert m3.find(m3_connection, "item", "ITNO", "NO-SUCH") == []
    assert m3.get(m3_connection, "customer", "NO-SUCH") is None
    with pytest.raises(FatalError, match="already exists"):
        m3.create(m3_connection, "item", {"ITNO": "GEN-100", "ITDS": "Twice"})
    with pytest.raises(FatalError, match="ITDS"):  # the transaction's required field, as M3 refuses it
        m3.create(m3_connection, "item", {"ITNO": "GEN-101"})


def test_what_a_descriptor_lacks_is_refused_naming_it(m3_connection):
    m3 = InforObjects()
    with pytest.raises(FatalError, match="Infor order \\(OIS100MI\\) has no change transaction"):
        m3.update(m3_connection, "order", "1000001", {"CUOR": "PO-1"})
    with pytest.raises(ObjectUnknown, match="infor has no object 'vendor'. Known: customer, item, order."):
        m3.get(m3_connection, "vendor", "1")
