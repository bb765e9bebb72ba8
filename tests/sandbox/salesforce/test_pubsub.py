"""The simulator's Pub/Sub API over real gRPC: topics, schemas, Subscribe with its replay presets
and flow control, keepalives, auth, retention, CDC selection, fault switches, and Avro payloads
whose bitmaps decode against the schema GetSchema serves."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import grpc
import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfChangeEvent, SfOrg
from integrations.sandbox.salesforce.org import org_get
from integrations.sandbox.salesforce.writes import record_create, record_delete, record_update
from pubsub_wire import pubsub_api_pb2 as pb
from tests.sandbox.salesforce.pubsub_harness import decode, trailer

AUTH = "sfdc.platform.eventbus.grpc.service.auth.error"
CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
ACCOUNTS = "/data/AccountChangeEvent"


def account(name: str, **fields) -> str:
    return record_create("Account", {"Name": name, **fields})


def org_set(**values) -> None:
    SfOrg.objects.filter(pk=org_get().pk).update(**values)


def schema_of(ps, schema_id: str) -> str:
    return ps.stub.GetSchema(pb.SchemaRequest(schema_id=schema_id), metadata=ps.metadata()).schema_json


def decoded(ps, consumer_event) -> dict:
    return decode(schema_of(ps, consumer_event.event.schema_id), consumer_event.event.payload)


def bitmap_names(schema_json: str, entries: list[str]) -> list[str]:
    """Decode a bitmap field as Salesforce's ChangeEventHeaderUtility does: bit i of the first
    "0x…" entry is top-level field i; "N-0x…" entries index the parts of compound field N."""
    fields = json.loads(schema_json)["fields"]
    names = []
    for entry in entries:
        parent, _, bits = entry.rpartition("-")
        scope, prefix = fields, ""
        if parent:
            record = fields[int(parent)]["type"][1]
            scope, prefix = record["fields"], fields[int(parent)]["name"] + "."
        value = int(bits, 16)
        names += [prefix + scope[i]["name"] for i in range(value.bit_length()) if value >> i & 1]
    return names


def rpc_error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


# -- GetTopic / GetSchema -----------------------------------------------------------------------
def test_get_topic_names_the_entity_schema_and_get_schema_serves_it(pubsub):
    topic = pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=pubsub.metadata())
    assert (topic.topic_name, topic.tenant_guid) == (ACCOUNTS, org_get().org_id)
    assert (topic.can_subscribe, topic.can_publish) == (True, False)
    assert topic.schema_id and topic.rpc_id
    schema = json.loads(schema_of(pubsub, topic.schema_id))
    assert schema["name"] == "AccountChangeEvent"
    fields = [f["name"] for f in schema["fields"]]
    assert fields[0] == "ChangeEventHeader" and fields[1:4] == ["CreatedDate", "CreatedById", "LastModifiedDate"]
    assert "BillingAddress" in fields and "ShippingAddress" in fields
    assert not {"Id", "BillingCity", "SystemModstamp", "IsDeleted"} & set(fields)
    address = schema["fields"][fields.index("BillingAddress")]["type"][1]
    assert [f["name"] for f in address["fields"]] == ["Street", "City", "State", "PostalCode", "Country",
                                                    "Latitude", "Longitude", "GeocodeAccuracy"]
    header = {f["name"]: f["type"] for f in schema["fields"][0]["type"]["fields"]}
    assert "GAP_OVERFLOW" in header["changeType"]["symbols"]
    assert header["commitTimestamp"] == "long" and header["changedFields"] == {"type": "array", "items": "string"}
    contact = pubsub.stub.GetTopic(pb.TopicRequest(topic_name="/data/ContactChangeEvent"), metadata=pubsub.metadata())
    contact_fields = json.loads(schema_of(pubsub, contact.schema_id))["fields"]
    by_name = {f["name"]: f for f in contact_fields}
    assert [f["name"] for f in by_name["Name"]["type"][1]["fields"]] == ["Salutation", "FirstName", "LastName"]
    assert "MailingAddress" in by_name and not {"FirstName", "LastName", "MailingCity"} & set(by_name)
    assert contact.schema_id != topic.schema_id
    everything = pubsub.stub.GetTopic(pb.TopicRequest(topic_name="/data/ChangeEvents"), metadata=pubsub.metadata())
    assert everything.can_subscribe and everything.schema_id == ""


def test_the_rest_event_schema_resource_serves_the_same_schema(pubsub, sf_root):
    topic = pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=pubsub.metadata())
    headers = {"Authorization": f"Bearer {pubsub.session['access_token']}"}
    answer = requests.get(f"{sf_root}/services/data/v62.0/event/eventSchema/{topic.schema_id}", headers=headers,
                          timeout=10)
    assert answer.status_code == 200 and answer.json() == json.loads(schema_of(pubsub, topic.schema_id))
    missing = requests.get(f"{sf_root}/services/data/v62.0/event/eventSchema/nope", headers=headers, timeout=10)
    assert missing.status_code == 404


def test_multi_currency_changes_the_schema_id(pubsub):
    before = pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=pubsub.metadata()).schema_id
    org_set(multi_currency=True)
    after = pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=pubsub.metadata()).schema_id
    assert after != before and "CurrencyIsoCode" in schema_of(pubsub, after)
    assert "CurrencyIsoCode" not in schema_of(pubsub, before)  # an old event's schema stays fetchable


def test_unknown_schema_and_publish_are_refused_clearly(pubsub):
    error = rpc_error(lambda: pubsub.stub.GetSchema(pb.SchemaRequest(schema_id="nope"), metadata=pubsub.metadata()))
    assert error.code() == grpc.StatusCode.NOT_FOUND and trailer(error, "rpc-id")
    error = rpc_error(lambda: pubsub.stub.Publish(pb.PublishRequest(topic_name=ACCOUNTS), metadata=pubsub.metadata()))
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED and "GetTopic, GetSchema and Subscribe" in error.details()


# -- CDC selection ----------------------------------------------------------------------------------
def test_an_entity_without_change_data_capture_has_no_topic(pubsub):
    org_set(cdc_entities="Opportunity, Contact")
    error = rpc_error(lambda: pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=pubsub.metadata()))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert trailer(error, "error-code") == "sfdc.platform.eventbus.grpc.topic.not.found"
    assert pubsub.stub.GetTopic(pb.TopicRequest(topic_name="/data/OpportunityChangeEvent"),
                                metadata=pubsub.metadata()).can_subscribe
    for name in ("/data/NoSuchChangeEvent", "/data/UserChangeEvent", "/event/Thing__e"):
        error = rpc_error(lambda n=name: pubsub.stub.GetTopic(pb.TopicRequest(topic_name=n), metadata=pubsub.metadata()))
        assert error.code() == grpc.StatusCode.NOT_FOUND
    sub = pubsub.subscribe(topic_name=ACCOUNTS, num_requested=1)
    assert sub.failure().code() == grpc.StatusCode.NOT_FOUND


def test_turning_change_data_capture_off_ends_the_entitys_open_stream(pubsub):
    account("Seen")
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=5)
    sub.events(1)
    org_set(cdc_entities="Contact")
    assert trailer(sub.failure(), "error-code") == "sfdc.platform.eventbus.grpc.topic.not.found"


def test_all_changes_channel_carries_only_enabled_entities(pubsub):
    org_set(cdc_entities="Contact")
    sub = pubsub.subscribe(topic_name="/data/ChangeEvents", replay_preset=pb.ReplayPreset.EARLIEST, num_requested=5)
    account("Not captured")
    contact = record_create("Contact", {"LastName": "Captured"})
    [event] = sub.events(1)
    assert decoded(pubsub, event)["ChangeEventHeader"]["recordIds"] == [contact]


# -- Subscribe: presets, flow control, keepalive ---------------------------------------------------
def test_latest_delivers_only_events_committed_after_the_subscription(pubsub):
    account("Before")
    org_set(pubsub_keepalive_seconds=1)
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.LATEST, num_requested=10)
    assert not sub.next().events  # a keepalive: the subscription has started
    after = account("After")
    [event] = sub.events(1)
    body = decoded(pubsub, event)
    assert body["ChangeEventHeader"]["recordIds"] == [after]
    assert body["ChangeEventHeader"]["changeType"] == "CREATE" and body["Name"] == "After"
    assert event.replay_id and not event.replay_id.isdigit()


def test_earliest_replays_what_is_retained_and_custom_starts_after_the_replay_id(pubsub):
    ids = [account(f"A{i}") for i in range(3)]
    old = SfChangeEvent.objects.filter(entity="Account").order_by("pk").first()
    SfChangeEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=73))
    earliest = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=10)
    events = earliest.events(2)
    assert [decoded(pubsub, e)["ChangeEventHeader"]["recordIds"][0] for e in events] == ids[1:]
    custom = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.CUSTOM, replay_id=events[0].replay_id,
                              num_requested=10)
    [again] = custom.events(1)
    assert decoded(pubsub, again)["ChangeEventHeader"]["recordIds"] == [ids[2]]
    assert again.replay_id == events[1].replay_id


def test_num_requested_is_never_exceeded(pubsub):
    ids = [account(f"N{i}") for i in range(5)]
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=2)
    first = sub.next()
    assert len(first.events) == 2 and first.pending_num_requested == 0
    sub.fetch(num_requested=1)  # later requests may omit the topic
    second = sub.next()
    assert len(second.events) == 1 and second.pending_num_requested == 0
    sub.fetch(num_requested=5)
    third = sub.next()
    assert len(third.events) == 2 and third.pending_num_requested == 3
    delivered = [decoded(pubsub, e)["ChangeEventHeader"]["recordIds"][0]
                 for r in (first, second, third) for e in r.events]
    assert delivered == ids
    newer = account("N5")
    fourth = sub.next()
    assert len(fourth.events) == 1 and fourth.pending_num_requested == 2
    assert decoded(pubsub, fourth.events[0])["ChangeEventHeader"]["recordIds"] == [newer]


def test_an_idle_stream_gets_keepalives_with_the_latest_replay_id(pubsub):
    org_set(pubsub_keepalive_seconds=1)
    sub = pubsub.subscribe(topic_name=ACCOUNTS, num_requested=3)
    idle = sub.next(timeout=5)
    assert not idle.events and idle.latest_replay_id and idle.pending_num_requested == 3
    account("Wakes it")
    [event] = sub.events(1, timeout=5)
    keepalive = sub.next(timeout=5)
    assert not keepalive.events and keepalive.latest_replay_id == event.replay_id
    assert keepalive.pending_num_requested == 2


def test_fetch_requests_must_name_the_one_topic(pubsub):
    sub = pubsub.subscribe(num_requested=1)
    error = sub.failure()
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "topic" in error.details()
    sub = pubsub.subscribe(topic_name=ACCOUNTS, num_requested=1)
    sub.fetch(topic_name="/data/ContactChangeEvent", num_requested=1)
    assert sub.failure().code() == grpc.StatusCode.INVALID_ARGUMENT


# -- auth ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("override", [
    {"accesstoken": "00D000000000000!forged"},
    {"accesstoken": None},
    {"tenantid": "00D000000000001AAA"},
    {"instanceurl": "http://127.0.0.1:1/sandbox/salesforce"},
    {"instanceurl": None},
])
def test_every_rpc_checks_the_auth_metadata(pubsub, override):
    metadata = pubsub.metadata(**override)
    for call in (lambda: pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=metadata),
                 lambda: pubsub.stub.GetSchema(pb.SchemaRequest(schema_id="x"), metadata=metadata)):
        error = rpc_error(call)
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert trailer(error, "error-code") == AUTH
        assert trailer(error, "rpc-id") and f"rpcId: {trailer(error, 'rpc-id')}" in error.details()
    sub = pubsub.subscribe(metadata=metadata, topic_name=ACCOUNTS, num_requested=1)
    error = sub.failure()
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED and trailer(error, "error-code") == AUTH


def test_instance_url_with_a_trailing_slash_and_a_15_character_tenant_are_accepted(pubsub):
    metadata = pubsub.metadata(instanceurl=pubsub.session["instance_url"] + "/", tenantid=org_get().org_id[:15])
    assert pubsub.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=metadata).can_subscribe


def test_a_session_that_expires_ends_the_open_stream_with_the_auth_error(pubsub, client):
    account("Delivered")
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=5)
    sub.events(1)
    client.post("/sandbox/salesforce/settings/", {"action": "expire_sessions"})
    error = sub.failure()
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED and trailer(error, "error-code") == AUTH


# -- retention and replay ids ------------------------------------------------------------------------
@pytest.mark.parametrize("replay_id", [b"", b"12345", b"\x01" + bytes(12)])
def test_a_garbage_replay_id_is_corrupted(pubsub, replay_id):
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.CUSTOM, replay_id=replay_id,
                           num_requested=1)
    error = sub.failure()
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and trailer(error, "error-code") == CORRUPTED


def test_a_replay_id_past_retention_is_corrupted(pubsub):
    account("Old")
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=1)
    [event] = sub.events(1)
    org_set(pubsub_retention_hours=1)
    SfChangeEvent.objects.update(created_at=timezone.now() - timedelta(hours=2))
    late = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.CUSTOM, replay_id=event.replay_id,
                            num_requested=1)
    error = late.failure()
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and trailer(error, "error-code") == CORRUPTED


def test_expire_replay_ids_switch_makes_old_ids_corrupted_and_latest_still_works(pubsub, client):
    account("Before the switch")
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=1)
    [event] = sub.events(1)
    page = client.post("/sandbox/salesforce/settings/", {"action": "expire_replay_ids"}, follow=True)
    assert "replay" in page.content.decode().lower()
    stale = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.CUSTOM, replay_id=event.replay_id,
                             num_requested=1)
    assert trailer(stale.failure(), "error-code") == CORRUPTED
    fresh = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=1)
    new = account("After the switch")
    [event] = fresh.events(1)
    assert decoded(pubsub, event)["ChangeEventHeader"]["recordIds"] == [new]


# -- fault switches and the settings page -------------------------------------------------------------
def test_drop_streams_switch_ends_open_streams_with_unavailable(pubsub, client):
    account("Seen")
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=1)
    [seen] = sub.events(1)
    client.post("/sandbox/salesforce/settings/", {"action": "drop_streams"})
    assert sub.failure().code() == grpc.StatusCode.UNAVAILABLE
    fresh = account("Later")
    again = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.CUSTOM, replay_id=seen.replay_id,
                             num_requested=1)  # a new stream works
    [event] = again.events(1)
    assert decoded(pubsub, event)["ChangeEventHeader"]["recordIds"] == [fresh]


def test_settings_page_shows_the_address_and_whether_the_server_runs(pubsub, client, settings):
    settings.SANDBOX_SALESFORCE_PUBSUB_HOST, settings.SANDBOX_SALESFORCE_PUBSUB_PORT = "127.0.0.1", pubsub.server.port
    for url in ("/sandbox/salesforce/", "/sandbox/salesforce/settings/"):
        page = client.get(url).content.decode()
        assert f"<code>127.0.0.1:{pubsub.server.port}</code> —\nrunning" in page, url
    settings.SANDBOX_SALESFORCE_PUBSUB_PORT = 1
    assert "not running" in client.get("/sandbox/salesforce/").content.decode()
    pubsub.server.stop(grace=0)  # the heartbeat says so as the server stops
    settings.SANDBOX_SALESFORCE_PUBSUB_PORT = pubsub.server.port
    assert "not running" in client.get("/sandbox/salesforce/").content.decode()


def test_settings_page_saves_the_pubsub_settings(client, db):
    org_get()
    client.post("/sandbox/salesforce/settings/", {
        "action": "save", "query_page_size": "2000", "api_daily_limit": "15000", "fault_lock_row": "0",
        "fault_unavailable": "0", "latency_ms": "0", "pubsub_keepalive_seconds": "5", "pubsub_retention_hours": "24",
        "cdc_entities": "Opportunity,Account"})
    org = SfOrg.objects.get()
    assert (org.pubsub_keepalive_seconds, org.pubsub_retention_hours, org.cdc_entities) == (5, 24, "Opportunity,Account")
    bad = client.post("/sandbox/salesforce/settings/", {"action": "save", "cdc_entities": "Widget"}, follow=True)
    assert "Widget" in bad.content.decode() and SfOrg.objects.get().cdc_entities == "Opportunity,Account"


# -- payloads and bitmaps ---------------------------------------------------------------------------------
def test_an_update_carries_changed_fields_only_and_compound_bitmaps_name_the_parts(pubsub):
    acct = account("Acme", Phone="555-0100", BillingCity="Oslo", BillingCountry="Norway")
    record_update("Account", acct, {"BillingCity": "Bergen", "Phone": None})
    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=10)
    _, event = sub.events(2)
    schema = schema_of(pubsub, event.event.schema_id)
    body = decode(schema, event.event.payload)
    header = body["ChangeEventHeader"]
    assert header["changeType"] == "UPDATE"
    top, nested = header["changedFields"]
    assert top.startswith("0x") and nested.split("-")[1].startswith("0x")
    index = [f["name"] for f in json.loads(schema)["fields"]].index("BillingAddress")
    assert nested.startswith(f"{index}-")
    assert sorted(bitmap_names(schema, header["changedFields"])) == ["BillingAddress.City", "LastModifiedDate", "Phone"]
    assert bitmap_names(schema, header["nulledFields"]) == ["Phone"]
    assert header["diffFields"] == []
    assert body["BillingAddress"] == {"Street": None, "City": "Bergen", "State": None, "PostalCode": None,
                                      "Country": None, "Latitude": None, "Longitude": None, "GeocodeAccuracy": None}
    assert body["Name"] is None and body["Phone"] is None and body["ShippingAddress"] is None  # unchanged → null
    assert isinstance(body["LastModifiedDate"], int)  # epoch milliseconds


def test_contact_name_is_a_compound_and_create_carries_every_value(pubsub):
    contact = record_create("Contact", {"FirstName": "Ada", "LastName": "Lee", "MailingCity": "Paris"})
    record_update("Contact", contact, {"LastName": "Lovelace"})
    sub = pubsub.subscribe(topic_name="/data/ContactChangeEvent", replay_preset=pb.ReplayPreset.EARLIEST,
                           num_requested=10)
    created, updated = sub.events(2)
    body = decoded(pubsub, created)
    assert body["ChangeEventHeader"]["changedFields"] == []
    assert body["Name"] == {"Salutation": None, "FirstName": "Ada", "LastName": "Lee"}
    assert body["MailingAddress"]["City"] == "Paris" and isinstance(body["CreatedDate"], int)
    schema = schema_of(pubsub, updated.event.schema_id)
    changed = bitmap_names(schema, decode(schema, updated.event.payload)["ChangeEventHeader"]["changedFields"])
    assert "Name.LastName" in changed and "Name.FirstName" not in changed
    assert decode(schema, updated.event.payload)["Name"] == {"Salutation": None, "FirstName": None,
                                                            "LastName": "Lovelace"}


def test_dates_are_epoch_days_and_a_delete_is_empty(pubsub):
    opp = record_create("Opportunity", {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "1970-01-11",
                                        "Amount": 250})
    record_delete("Opportunity", opp)
    sub = pubsub.subscribe(topic_name="/data/OpportunityChangeEvent", replay_preset=pb.ReplayPreset.EARLIEST,
                           num_requested=10)
    created, deleted = sub.events(2)
    body = decoded(pubsub, created)
    assert body["CloseDate"] == 10 and body["Amount"] == 250.0
    gone = decoded(pubsub, deleted)
    assert gone["ChangeEventHeader"]["changeType"] == "DELETE" and gone["ChangeEventHeader"]["recordIds"] == [opp]
    assert all(v is None for k, v in gone.items() if k != "ChangeEventHeader")


def test_the_relay_keeps_working_beside_pubsub(db):
    sub = sim.subscription_ensure(endpoint="http://127.0.0.1:1/hook", secret="s")
    account("Relayed")
    assert sub.deliveries.count() == 1


# -- commit order -------------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_an_event_committed_late_is_delivered_after_the_ones_committed_before_it(pubsub, pg_only):
    """A transaction that wrote its event first (lower pk) but commits last is not skipped: the bus
    is in commit order, and a replay from the earlier commit still reaches it."""
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    late: list[str] = []

    def slow_writer():
        try:
            with transaction.atomic():
                late.append(account("Committed late"))
                written.set()
                release.wait(30)
        finally:
            connection.close()
            done.set()

    sub = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.EARLIEST, num_requested=10)
    threading.Thread(target=slow_writer, daemon=True).start()
    assert written.wait(30)
    early = account("Committed early")
    [first] = sub.events(1)
    assert decoded(pubsub, first)["ChangeEventHeader"]["recordIds"] == [early]
    release.set()
    assert done.wait(30)
    [second] = sub.events(1)
    assert decoded(pubsub, second)["ChangeEventHeader"]["recordIds"] == late
    pks = dict(SfChangeEvent.objects.values_list("record_ids__0", "pk"))
    assert pks[late[0]] < pks[early]  # pk order is not commit order
    replay = pubsub.subscribe(topic_name=ACCOUNTS, replay_preset=pb.ReplayPreset.CUSTOM, replay_id=first.replay_id,
                              num_requested=10)
    [again] = replay.events(1)
    assert again.replay_id == second.replay_id


def test_the_command_refuses_to_serve_without_the_simulators(settings):
    settings.SANDBOX_ENABLED = False
    with pytest.raises(CommandError, match="SANDBOX_ENABLED"):
        call_command("sandbox_pubsub_serve", "--port", "0")
