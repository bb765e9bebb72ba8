"""The one base class of the flows' handlers: which connection and client of each system,
the flow's settings, and mapping through the one rule (mapping.py).

Every flow handler derives from BaseFlow (and so from sync/handler.py's FlowHandler, the
hooks the engine calls); a flow module keeps only its own decisions.
"""
from __future__ import annotations

from functools import cached_property

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.connectors.salesforce.client import SalesforceClient
from integrations.errors import FatalError, SkippableError
from integrations.flows.toolkit.mapping import mapping_set_choose
from mappings.normalise import email_normalise
from integrations.models import Connection
from integrations.sync.handler import FlowHandler
from mappings.engine import mapping_apply_or_raise
from mappings.models import MappingSet


class BaseFlow(FlowHandler):
    """A flow (or one step of a chain) between connections of two or more systems."""

    #: the mapping set looked up by name when neither the settings nor the flow choose one (mapping.py)
    default_mapping_set: str = ""

    # -- connections and clients ----------------------------------------------------------------
    def connection_of(self, system: str) -> Connection:
        """The flow's source or target connection of this system, else the one its settings
        name as "<system>_connection" (a chain's third system, e.g. Infor for Order-to-Cash)."""
        flow = self.flow
        for connection in (flow.source_connection, flow.target_connection):
            if connection is not None and connection.system == system:
                return connection
        named = (flow.settings or {}).get(f"{system}_connection")
        connection = Connection.objects.filter(name=named, system=system).first() if named else None
        if connection is None:
            raise FatalError(f"Flow '{flow.name}' needs a {system} connection: set it as the source or target, or "
                             f"name it in the flow's settings as \"{system}_connection\".")
        return connection

    @cached_property
    def salesforce_connection(self) -> Connection:
        return self.connection_of("salesforce")

    @cached_property
    def freshbooks_connection(self) -> Connection:
        return self.connection_of("freshbooks")

    @cached_property
    def infor_connection(self) -> Connection:
        return self.connection_of("infor")

    @cached_property
    def sf(self) -> SalesforceClient:
        return SalesforceClient(self.salesforce_connection)

    @cached_property
    def fb(self) -> FreshBooksClient:
        return FreshBooksClient(self.freshbooks_connection)

    @cached_property
    def infor(self):
        return infor_adapter_for(self.infor_connection)

    # -- settings and mapping -------------------------------------------------------------------
    def mapping_set(self, *, step: str = "", default: str = "") -> MappingSet:
        """The mapping set of the flow (no ``step``) or of one of its steps, by the one rule."""
        return mapping_set_choose(flow=self.flow, step=step, default=default or self.default_mapping_set)

    def mapping_steps(self) -> dict[str, str]:
        return {"": self.default_mapping_set} if self.default_mapping_set else {}

    def mapping_apply(self, record: dict, *, step: str = "", default: str = "") -> dict:
        return mapping_apply_or_raise(self.mapping_set(step=step, default=default), record)

    # -- FreshBooks look-ups more than one flow makes ---------------------------------------------
    def freshbooks_client_by_email(self, email: str | None) -> str | None:
        """The id of the FreshBooks client with this e-mail address (the first when several)."""
        if not email_normalise(email):
            return None
        for client in self.fb.clients.list(search={"email": email_normalise(email)}, per_page=5).items:
            return str(client["id"])
        return None

    def freshbooks_client_create(self, payload: dict) -> str:
        return str(self.fb.clients.create(payload)["id"])

    def freshbooks_live(self, resource: str, object_id, words: str) -> dict:
        """A FreshBooks record read fresh; a deleted one ends the item as skipped, saying so."""
        record = getattr(self.fb, resource).get(object_id)
        if str(record.get("vis_state", 0)) == "1":
            raise SkippableError(f"The {words} was deleted in FreshBooks before it reached Infor.")
        return record
