"""Pub/Sub events decoded against their Avro schema: field order from the schema (compound
fields included, a named type reused by reference), never from some JSON's key order."""
import io
import json

import fastavro
import pytest

from integrations.connectors.salesforce.events import EventShapeError
from integrations.connectors.salesforce.pubsub.channel import auth_metadata, org_id_of, pubsub_target
from integrations.connectors.salesforce.pubsub.decoding import consumer_event_decode, flat_name
from integrations.connectors.salesforce.pubsub.schemas import event_schema_parse, schema_field_order
from pubsub_wire import pubsub_api_pb2 as pb

HEADER = {"type": "record", "name": "ChangeEventHeader", "fields": [
    {"name": "entityName", "type": "string"}, {"name": "recordIds", "type": {"type": "array", "items": "string"}},
    {"name": "changeType", "type": "string"}, {"name": "changeOrigin", "type": "string"},
    {"name": "transactionKey", "type": "string"}, {"name": "sequenceNumber", "type": "int"},
    {"name": "commitTimestamp", "type": "long"}, {"name": "commitNumber", "type": "long"},
    {"name": "commitUser", "type": "string"},
    {"name": "nulledFields", "type": {"type": "array", "items": "string"}},
    {"name": "diffFields", "type": {"type": "array", "items": "string"}},
    {"name": "changedFields", "type": {"type": "array", "items": "string"}}]}
ADDRESS = {"type": "record", "name": "Address", "fields": [
    {"name": n, "type": ["null", "string"], "default": None} for n in ("Street", "City", "State", "PostalCode", "Country")]}
# Account: Id, Name, BillingAddress (the Address record), Phone, ShippingAddress (Address by name).
ACCOUNT = {"type": "record", "name": "AccountChangeEvent", "namespace": "com.sforce.eventbus", "fields": [
    {"name": "ChangeEventHeader", "type": HEADER},
    {"name": "Name", "type": ["null", "string"], "default": None},
    {"name": "BillingAddress", "type": ["null", ADDRESS], "default": None},
    {"name": "Phone", "type": ["null", "string"], "default": None},
    {"name": "ShippingAddress", "type": ["null", "Address"], "default": None},
    {"name": "LastModifiedDate", "type": ["null", "long"], "default": None}]}


def _event(schema, payload, replay=b"\x00\x01\xff"):
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), payload)
    return pb.ConsumerEvent(event=pb.ProducerEvent(id="uuid-1", schema_id="s1", payload=buf.getvalue()),
                            replay_id=replay)


def _header(**changes):
    header = {"entityName": "Account", "recordIds": ["001000000000001AAA"], "changeType": "UPDATE",
              "changeOrigin": "com/salesforce/api/rest/62.0;client=Someone", "transactionKey": "tx-1",
              "sequenceNumber": 1, "commitTimestamp": 1714172795000, "commitNumber": 1, "commitUser": "005",
              "nulledFields": [], "diffFields": [], "changedFields": []}
    return {**header, **changes}


def test_field_order_comes_from_the_schema_with_compound_fields_and_named_references():
    assert schema_field_order(json.dumps(ACCOUNT)) == [
        "ChangeEventHeader", "Name", ("BillingAddress", ["Street", "City", "State", "PostalCode", "Country"]),
        "Phone", ("ShippingAddress", ["Street", "City", "State", "PostalCode", "Country"]), "LastModifiedDate"]


def test_bitmaps_decode_against_schema_order_and_compound_parts_flatten():
    schema = event_schema_parse("s1", json.dumps(ACCOUNT))
    # bits 1 (Name) and 5 (LastModifiedDate); BillingAddress (field 2) parts 1 (City) and 4 (Country);
    # ShippingAddress (field 4) part 0 (Street) nulled.
    payload = {"ChangeEventHeader": _header(changedFields=["0x22", "2-0x12"], nulledFields=["4-0x1"]),
               "Name": "Acme", "BillingAddress": {"Street": None, "City": "Paris", "State": None,
                                                  "PostalCode": None, "Country": "FR"},
               "Phone": None, "ShippingAddress": {"Street": None, "City": None, "State": None, "PostalCode": None,
                                                  "Country": None},
               "LastModifiedDate": 1714172795000}
    event = consumer_event_decode(_event(ACCOUNT, payload), schema)
    assert event.changed_fields == ["Name", "LastModifiedDate", "BillingCity", "BillingCountry"]
    assert event.nulled_fields == ["ShippingStreet"]
    # Unchanged fields are null in Pub/Sub events: only values and explicit nulls are kept.
    assert event.fields == {"Name": "Acme", "BillingCity": "Paris", "BillingCountry": "FR",
                            "ShippingStreet": None, "LastModifiedDate": 1714172795000}
    assert event.replay_id == "0001ff" and event.event_uuid == "uuid-1"
    assert event.commit_timestamp == 1714172795000 and event.entity == "Account"


def test_a_bit_past_the_schema_is_refused():
    schema = event_schema_parse("s1", json.dumps(ACCOUNT))
    payload = {"ChangeEventHeader": _header(changedFields=["0x100"]), "Name": None, "BillingAddress": None,
               "Phone": None, "ShippingAddress": None, "LastModifiedDate": None}
    with pytest.raises(EventShapeError):
        consumer_event_decode(_event(ACCOUNT, payload), schema)


def test_contact_name_parts_keep_their_own_names():
    assert flat_name("Name", "LastName") == "LastName"
    assert flat_name("MailingAddress", "PostalCode") == "MailingPostalCode"


def test_auth_metadata_names_the_org_from_the_identity_url(db):
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(system="salesforce", settings={
        "instance_url": "https://acme.my.salesforce.com/",
        "identity_url": "https://login.salesforce.com/id/00D000000000001EAA/005000000000001AAA"})
    connection.set_secrets(access_token="tok")
    connection.save()
    assert org_id_of(connection) == "00D000000000001EAA"
    assert dict(auth_metadata(connection)) == {"accesstoken": "tok", "instanceurl": "https://acme.my.salesforce.com",
                                               "tenantid": "00D000000000001EAA"}
    assert pubsub_target(connection) == ("api.pubsub.salesforce.com:7443", True)
    connection.settings["identity_url"] = "http://127.0.0.1:8000/sandbox/salesforce/id/00D000000000002EAA/005X"
    assert org_id_of(connection) == "00D000000000002EAA"
