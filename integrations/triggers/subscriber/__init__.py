"""The Pub/Sub subscriber (``manage.py salesforce_subscribe``): change events from a real
Salesforce org, stored as InboundEvents like the relay's and routed the same way.

- lease.py: exactly one active subscriber per connection across processes and machines;
- topics.py: which topics a connection's enabled flows need;
- store.py: a batch of events and the topic's replay id in one transaction, fenced by the lease;
- catchup.py: a replay id the server no longer holds, or a gap event: poll and say so;
- stream.py: one topic's stream (flow control, keepalives, reconnects, token refresh);
- runner.py: the long-running loop over connections (leases, streams, stop);
- status.py: what the dashboard and the connection's page show (state and lag).
"""
