"""The small interface between the sync engine and a flow.

A flow knows two connectors and the mapping engine; the engine knows flows only through
these hooks. Each hook is short; subclasses override hooks, never the engine's sequence:

    is_relevant → fetch_source → map → (binding | find_existing | create) or update
    → bind → write_back → on_success

A relay flow writes nothing itself: ``relay`` (after fetch_source) hands the work to another
record's item and returns its result; the engine then stops there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from integrations.connectors.preflight import FlowRequirements
from integrations.models import Binding, Entity, Flow, SyncItem

_UNSET = object()


@dataclass
class WriteResult:
    """What the flow did in the target, for the item's result column."""

    external_id: str
    action: str  # created | updated | matched | unchanged | deleted
    extra: dict = field(default_factory=dict)


class FlowHandler:
    """Base class for flow handlers. ``entity_kind`` names what the source record is."""

    entity_kind: str = Entity.Kind.CUSTOMER
    #: Steps after a successful target write (e.g. write-back) that can fail and be retried
    #: alone; the engine skips the create on retry because the binding is already stored.
    has_write_back: bool = False
    #: False when many source records feed one target record (payments → their invoice's
    #: Opportunity): the engine then keeps no source binding, which would tie every payment
    #: to the deal's entity (one binding per entity, connection and object type).
    binds_source: bool = True
    #: Dotted path of the flow's batched backfill (reads and writes in bulk, deciding each record
    #: with this handler's own hooks); "" = the backfill runs each record through the engine.
    batched_backfill: str = ""
    #: Extra source fields a poll reads so that ``poll_wants`` can decide without another call.
    poll_fields: tuple[str, ...] = ()
    #: The settings this flow kind accepts (a flows/toolkit/settings.py SettingsSpec, declared in
    #: flows/<flow>/settings.py); None accepts only the settings every flow does. The flow
    #: registry checks a flow's settings against it (flow_config_errors).
    settings_spec = None
    #: What the per-record lock (lock_key) guards. False: the source record. Most flows write back
    #: to it, or make its counterpart, whose id is only known mid-run: locking the source record
    #: is what keeps two workers (or two flows, e.g. an Account's client made by flow 1 and by the
    #: invoice flow) from making that counterpart twice. True, for flows that only read their
    #: source record: the lock is on what this flow writes for it, so two such flows reading one
    #: record (a FreshBooks payment → its Opportunity and → Infor) do not wait for each other.
    lock_target: bool = False
    #: What the flow needs of the systems besides its mapping sets: the Salesforce fields it reads or
    #: writes itself, FreshBooks scopes, the M3 setup its settings name (connectors/preflight.py). The
    #: pre-flight checks read it (operations/preflight_needs.py); declared once, here, per flow.
    requirements = FlowRequirements()

    def __init__(self, flow: Flow):
        self.flow = flow

    def setting(self, name: str, default=_UNSET):
        """A flow setting as declared (typed, the declared default when absent or blank); an
        explicit ``default`` replaces the declared one."""
        if self.settings_spec is None:
            value = (self.flow.settings or {}).get(name)
            return (None if default is _UNSET else default) if value in (None, "") else value
        if default is _UNSET:
            return self.settings_spec.value(self.flow.settings, name)
        return self.settings_spec.value(self.flow.settings, name, default)

    def mapping_steps(self) -> dict[str, str]:
        """{step: the mapping set it uses unless the flow's settings choose another} ("" = the main
        step), for the pre-flight checks; flows/toolkit/handler.py fills it from default_mapping_set."""
        return {}

    # -- chained flows ----------------------------------------------------------------------
    def for_item(self, item: SyncItem) -> FlowHandler:
        """The handler that runs this item. A chained flow returns the handler of the item's
        ``step``, each with its own source, target and entity kind; a plain flow is one step."""
        return self

    def source_ref(self, item: SyncItem, source: dict) -> tuple[int, str, str]:
        """(connection id, object type, external id) of the record whose binding names the entity."""
        return self.flow.source_connection_id, item.source_object, item.source_id

    def target_ref(self, item: SyncItem) -> tuple[int | None, str]:
        """(connection id, object type) of the record this item writes."""
        return self.flow.target_connection_id, self.flow.target_object

    # -- identity and locking -------------------------------------------------------------
    def lock_key(self, item: SyncItem) -> str:
        source = f"{self.flow.source_connection_id}:{item.source_object}:{item.source_id}"
        if self.lock_target:
            connection_id, object_type = self.target_ref(item)
            return f"{connection_id}:{object_type}:for:{source}"
        return source

    # -- the sequence ---------------------------------------------------------------------
    def is_relevant(self, item: SyncItem) -> bool:
        """False when the work no longer applies (flow switched off, record filtered out)."""
        return self.flow.enabled

    def relay(self, item: SyncItem, source: dict) -> WriteResult | None:
        """A relay's hand-over (e.g. a Contact change → its Account's item); None: sync as usual."""
        return None

    def fetch_source(self, item: SyncItem) -> dict:
        """Read the source record fresh: events are hints, not data."""
        raise NotImplementedError(f"{type(self).__name__} must implement fetch_source")

    def map(self, item: SyncItem, source: dict) -> dict:
        """Map the source record to the target payload (raise MappingError on bad data)."""
        raise NotImplementedError(f"{type(self).__name__} must implement map")

    def find_existing(self, item: SyncItem, source: dict, payload: dict) -> str | None:
        """Find a target record we or someone else already made (external ref, then match)."""
        return None

    def create(self, item: SyncItem, payload: dict) -> str:
        raise NotImplementedError(f"{type(self).__name__} must implement create")

    def update(self, item: SyncItem, external_id: str, payload: dict) -> WriteResult | None:
        """Update the target record; None when it was updated, or a WriteResult saying what was done
        instead (a flow whose policy leaves existing records as they are says so, not "updated")."""
        raise NotImplementedError(f"{type(self).__name__} must implement update")

    def delete(self, item: SyncItem, binding: Binding | None) -> WriteResult:
        """The source record was deleted; ``binding`` is the target record it was linked to.
        Return what was done, or raise SkippableError saying why nothing was (flows reading
        Salesforce: flows/deletes.py)."""
        raise NotImplementedError(f"{type(self).__name__} does not propagate deletes")

    def write_back(self, item: SyncItem, source: dict, result: WriteResult) -> None:
        """Record the target's ids on the source (e.g. invoice id on the Opportunity)."""

    def on_success(self, item: SyncItem, result: WriteResult) -> None:
        """Start follow-on work (the next step of a chained flow)."""

    def poll_wants(self, record: dict) -> bool:
        """Whether a changed source record a poll found is work for this flow (e.g. only won deals)."""
        return True

    def source_version(self, source: dict) -> str:
        """The source's last-modified stamp, kept on the source binding."""
        return ""
