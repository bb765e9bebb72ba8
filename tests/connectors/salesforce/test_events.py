"""CDC parsing: both changedFields forms, gaps, merged record ids, echo detection."""
import pytest

from integrations.connectors.salesforce.events import EventShapeError, bitmap_decode, event_dedupe_key, event_parse

HEADER = {"entityName": "Account", "recordIds": ["001ZM000001QkdOYAS"], "changeType": "UPDATE",
          "changeOrigin": "com/salesforce/api/soap/61.0;client=Ledgerlink-3", "transactionKey": "t-1",
          "sequenceNumber": 2, "commitTimestamp": 1714172795000}


def test_cometd_names_list():
    event = event_parse({"data": {"payload": {"ChangeEventHeader": {**HEADER, "changedFields": ["Name"]},
                                              "Name": "Acme"}, "event": {"replayId": 7}}})
    assert event.changed_fields == ["Name"] and event.replay_id == "7" and event.fields == {"Name": "Acme"}
    assert event.from_client("Ledgerlink-3") and not event.from_client("Ledgerlink-33")
    assert event_dedupe_key(event, HEADER["recordIds"][0]) == "replay:7:001ZM000001QkdOYAS"


def test_pubsub_bitmap_decodes_against_the_payload_field_order():
    payload = {"ChangeEventHeader": {**HEADER, "changedFields": ["0x12", "3-0x3"]}, "Name": None, "Phone": "1",
               "BillingAddress": {"Street": "1 Main", "City": "SF", "State": None}, "LastModifiedDate": "x"}
    # bits 1 and 4 of the top level: Name, LastModifiedDate; field 3's parts 0 and 1: Street, City
    event = event_parse(payload)
    assert event.changed_fields == ["Name", "LastModifiedDate", "BillingAddress.Street", "BillingAddress.City"]
    assert event_dedupe_key(event, "001ZM000001QkdOYAS") == "tx:t-1:2:001ZM000001QkdOYAS"


def test_bitmap_against_a_given_schema_and_out_of_range_bits():
    assert bitmap_decode(["0x400080"], [f"F{i}" for i in range(23)]) == ["F7", "F22"]
    with pytest.raises(EventShapeError):
        bitmap_decode(["0x100"], ["A", "B"])


def test_gap_and_merged_events_need_refetch():
    gap = event_parse({"ChangeEventHeader": {**HEADER, "changeType": "GAP_UPDATE", "changedFields": []}})
    merged = event_parse({"ChangeEventHeader": {**HEADER, "recordIds": ["001A", "001B"]}})
    plain = event_parse({"ChangeEventHeader": HEADER})
    assert gap.needs_refetch and merged.needs_refetch and not plain.needs_refetch
