"""Salesforce's Pub/Sub API (gRPC, ``eventbus.v1.PubSub``): the door a real org's change events come in by.

channel.py opens the channel and builds the auth metadata, errors.py classifies the server's
errors, schemas.py fetches and caches Avro schemas (and their field order), decoding.py turns
one ConsumerEvent into a ChangeEvent. The long-running loop that subscribes, stores and
resumes is a trigger (integrations/triggers/subscriber/).
"""
