"""The simulated org's Pub/Sub API (gRPC service eventbus.v1.PubSub, stubs in pubsub_wire/).

- schemas: one Avro schema per Change Data Capture entity, shaped like Salesforce's
- payloads: a recorded change event as the Avro record Salesforce would deliver
- replay: opaque replay ids
- bus: commit-ordered positions (bus_seq), retention, and reading the bus
- topics, auth, errors: what a client may name, who it is, and how a refusal looks
- servicer, server: the RPCs and the process that serves them (`manage.py sandbox_pubsub_serve`)
"""
