"""Topics a client may name: `/data/<Entity>ChangeEvent` for each entity with Change Data Capture
enabled in the org (SfOrg.cdc_entities, blank = all), and `/data/ChangeEvents` for all of them."""
from __future__ import annotations

from dataclasses import dataclass

from ..models import SfOrg
from ..schema import CDC_OBJECTS
from .errors import TOPIC_NOT_FOUND, TOPIC_NOT_FOUND_STATUS, PubSubError

ALL_CHANGES = "/data/ChangeEvents"
PREFIX, SUFFIX = "/data/", "ChangeEvent"


@dataclass(frozen=True)
class Topic:
    name: str
    entities: tuple[str, ...]

    @property
    def entity(self) -> str:
        """The one entity of a per-entity channel ("" for /data/ChangeEvents)."""
        return self.entities[0] if self.name != ALL_CHANGES else ""


def cdc_enabled(org: SfOrg) -> list[str]:
    chosen = {e.strip().lower() for e in org.cdc_entities.split(",") if e.strip()}
    return sorted(e for e in CDC_OBJECTS if not chosen or e.lower() in chosen)


def topic_resolve(name: str, org: SfOrg) -> Topic:
    enabled = cdc_enabled(org)
    if name == ALL_CHANGES:
        return Topic(name, tuple(enabled))
    if name.startswith(PREFIX) and name.endswith(SUFFIX):
        entity = name[len(PREFIX):-len(SUFFIX)]
        if entity in enabled:
            return Topic(name, (entity,))
    raise PubSubError(TOPIC_NOT_FOUND_STATUS, f"Topic {name[:200]} not found, or Change Data Capture is not "
                                              "enabled for its entity.", TOPIC_NOT_FOUND)
