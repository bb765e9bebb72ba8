"""A worker killed between a flow's remote create and our commit: what every flow's no-duplicate
test does to it."""
from __future__ import annotations

import pytest


def run_killed_after_create(world, monkeypatch, handler_class, flow_name: str, source_object: str, source_id) -> None:
    """Run one item whose worker dies right after the flow's create reached the target (SystemExit
    is not caught by the engine: the item stays running, as after a killed process)."""
    real_create = handler_class.create

    def create_then_die(self, item, payload):
        real_create(self, item, payload)
        raise SystemExit("worker killed after the target created the record")

    monkeypatch.setattr(handler_class, "create", create_then_die)
    with pytest.raises(SystemExit):
        world.run(flow_name, source_object, source_id)
    monkeypatch.setattr(handler_class, "create", real_create)
