"""Infor M3's change readers for the poller (M3 sends no webhooks, so polling is all there is).

- customers: every customer whose LMTS change stamp is at or after the cursor (stream
  ``infor-customers``, one per connection); a customer whose stamp equals the one stored for
  our own write is an echo, not a change.
- orders: every open order (bound, not yet marked delivered by the shipment flow) is read with
  GetHead, oldest-checked first, ``poll_batch`` per run (flow setting, default 200); one whose
  lines all reached the delivered status is a change. No cursor value: the bindings are the list.

An inactive Infor connection is not polled (reported as a note, nothing read).
"""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from integrations.connectors.changes import Change, ChangeReader, ChangesRead
from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.models import Binding

INACTIVE = "The Infor connection is inactive: not polled."


class InforCustomerChangeReader(ChangeReader):
    stream = "infor-customers"
    dedupe_by_items = False  # echoes are recognised by the LMTS stored for our own write

    def changes_read(self, *, flow, handler, cursor_value: str, now: datetime) -> ChangesRead:
        if not flow.source_connection.is_active:
            return ChangesRead(since=cursor_value, note=INACTIVE)
        changed = infor_adapter_for(flow.source_connection).list_changed_customers(since=cursor_value or None)
        bound = dict(Binding.objects.filter(
            connection_id=flow.source_connection_id, object_type=flow.source_object,
            external_id__in=[c["customer_number"] for c in changed["customers"]],
        ).values_list("external_id", "remote_version"))
        read = ChangesRead(position=changed["watermark"] or None, since=cursor_value)
        for customer in changed["customers"]:
            number = customer["customer_number"]
            if bound.get(number) and bound[number] == customer["changed_at"]:
                read.echoes += 1
                continue
            read.changes.append(Change(number, customer["changed_at"], now, hint={"changed_at": customer["changed_at"]},
                                       received_at=now))
        return read


class InforOrderChangeReader(ChangeReader):
    dedupe_by_items = False  # an order stays open until the flow marks it delivered: each run may queue it again

    def changes_read(self, *, flow, handler, cursor_value: str, now: datetime) -> ChangesRead:
        if not flow.source_connection.is_active:
            return ChangesRead(note=INACTIVE)
        adapter = infor_adapter_for(flow.source_connection)
        limit = int((flow.settings or {}).get("poll_batch") or 200)
        open_orders = Binding.objects.filter(connection_id=flow.source_connection_id, object_type=flow.source_object
                                             ).exclude(extra__delivered=True).order_by("updated_at")[:limit]
        read = ChangesRead()
        for binding in open_orders:
            status = adapter.get_order_status(order_number=binding.external_id)
            read.checked += 1
            if status["delivered"]:
                version = f"{status['lowest_status']}/{status['highest_status']}"
                read.changes.append(Change(binding.external_id, version, now, hint={"status": version}))
            else:
                Binding.objects.filter(pk=binding.pk).update(updated_at=timezone.now())  # oldest-checked first next run
        return read
