"""Argument helpers shared by the operations commands."""
from __future__ import annotations

from django.core.management.base import CommandError

from integrations.models import Connection, Flow


def flow_named(name: str) -> Flow:
    try:
        return Flow.objects.select_related("source_connection", "target_connection").get(name=name)
    except Flow.DoesNotExist:
        names = ", ".join(Flow.objects.values_list("name", flat=True)) or "none"
        raise CommandError(f"No flow named '{name}'. Flows: {names}.") from None


def connection_named(name: str, *, system: str | None = None) -> Connection:
    connections = Connection.objects.filter(system=system) if system else Connection.objects.all()
    try:
        return connections.get(name=name)
    except Connection.DoesNotExist:
        names = ", ".join(connections.values_list("name", flat=True)) or "none"
        raise CommandError(f"No {system + ' ' if system else ''}connection named '{name}'. Connections: {names}.") from None
