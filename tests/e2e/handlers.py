"""Test-only flow kinds for the end-to-end crash scenarios: the worker process dies at a chosen point
before Ledgerlink could record what it did (once per marker file). Registered through
settings_test.LEDGERLINK_FLOW_HANDLERS, so cluster workers load them."""
import os
from functools import cached_property
from pathlib import Path

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.resources import RESOURCES, ResourceApi
from integrations.flows.opportunity_invoice.handler import OpportunityInvoiceFlow
from integrations.flows.opportunity_invoice.settings import OPPORTUNITY_INVOICE_SETTINGS
from integrations.flows.order_to_cash.handler import (
    STEP_HANDLERS, FreshBooksClientStep, FreshBooksInvoiceStep, InforOrderStep, OrderToCashFlow,
)
from integrations.flows.order_to_cash.settings import ORDER_TO_CASH_SETTINGS
from integrations.flows.toolkit.settings import Setting
from integrations.sync.items import sync_item_enqueue

CRASH_MARKER = Setting("crash_marker", "str", default="", help="The marker file: the worker dies once, when absent.")
#: Order-to-Cash with its crash markers, for every step of the test chain
O2C_CRASH_SETTINGS = ORDER_TO_CASH_SETTINGS.extend(
    Setting("crash_markers", "dict", default={}, values=Setting("marker", "str"), help="{step: marker file}"),
    Setting("lost_task_markers", "dict", default={}, values=Setting("marker", "str"), help="{step: marker file}"),
)


def crash_once(marker: str | Path, written: str) -> None:
    """The first time only (no marker file yet): record ``written`` in the marker and kill the worker."""
    marker = Path(marker or "")
    if marker.name and not marker.exists():
        marker.write_text(str(written))
        os._exit(1)  # the worker dies: no commit, no error handling, nothing recorded


class CrashOnceAfterCreate:
    """Mixin for a handler: after its create, write the new id to the marker file and kill the worker."""

    def crash_marker(self, item) -> str:
        return self.setting("crash_marker", "")

    def create(self, item, payload):
        external_id = super().create(item, payload)
        crash_once(self.crash_marker(item), external_id)
        return external_id


class CrashOnceAfterCreateHandler(CrashOnceAfterCreate, OpportunityInvoiceFlow):
    """Flow 2 (kind ``e2e-crash-once``); settings ``crash_marker``: the marker file."""

    settings_spec = OPPORTUNITY_INVOICE_SETTINGS.extend(CRASH_MARKER)


class CrashOnceClientsApi(ResourceApi):
    """FreshBooks clients whose create kills the worker once, right after FreshBooks made the client."""

    def __init__(self, client, marker: str):
        super().__init__(client, RESOURCES["clients"], "clients")
        self.marker = marker

    def create(self, data, *, include=None):
        created = super().create(data, include=include)
        crash_once(self.marker, created["id"])
        return created


class CrashOnceClientCreateFreshBooks(FreshBooksClient):
    def __init__(self, connection, *, marker: str):
        super().__init__(connection)
        self.marker = marker

    @cached_property
    def clients(self):
        return CrashOnceClientsApi(self, self.marker)


class CrashOnceAfterClientCreateHandler(OpportunityInvoiceFlow):
    """Flow 2 (kind ``e2e-client-crash-once``), except that the worker dies right after FreshBooks created the
    deal's new client (flow 1's matcher, inside flow 2) and before our bindings; settings ``crash_marker``."""

    settings_spec = OPPORTUNITY_INVOICE_SETTINGS.extend(CRASH_MARKER)

    @cached_property
    def fb(self):
        return CrashOnceClientCreateFreshBooks(self.freshbooks_connection, marker=self.setting("crash_marker", ""))


class CrashOnceAfterStepCreate(CrashOnceAfterCreate):
    settings_spec = O2C_CRASH_SETTINGS

    def crash_marker(self, item) -> str:
        return (self.setting("crash_markers", None) or {}).get(item.step, "")


class CrashOnceFreshBooksInvoiceStep(CrashOnceAfterStepCreate, FreshBooksInvoiceStep):
    pass


class CrashOnceInforOrderStep(CrashOnceAfterStepCreate, InforOrderStep):
    pass


class LoseNextTaskOnceClientStep(FreshBooksClientStep):
    """The chain's first step, except that the worker dies once between committing the next step's item and
    handing its task to the broker: that item waits, pending, with no task anywhere."""

    settings_spec = O2C_CRASH_SETTINGS

    def on_success(self, item, result):
        marker = (self.setting("lost_task_markers", None) or {}).get(item.step, "")
        if marker and not Path(marker).exists():
            orphan, _ = sync_item_enqueue(flow=self.flow, source_object=item.source_object, source_id=item.source_id,
                                          step=self.next_step, parent=item, hint={"after_step": "start"},
                                          dispatch=False)
            crash_once(marker, orphan.pk)
        super().on_success(item, result)


CRASHING_STEPS = {**STEP_HANDLERS, "": LoseNextTaskOnceClientStep, "freshbooks_invoice": CrashOnceFreshBooksInvoiceStep,
                  "infor_order": CrashOnceInforOrderStep}


class CrashOnceOrderToCashFlow(OrderToCashFlow):
    """Order-to-Cash (kind ``e2e-o2c-crash-once``); settings ``crash_markers``: {step: marker file}, for
    the FreshBooks invoice and Infor sales-order steps (the worker dies after the create);
    ``lost_task_markers``: {"": marker file}, for the first step (the worker dies after committing the
    next step's item, before its task reached the broker)."""

    settings_spec = O2C_CRASH_SETTINGS

    def for_item(self, item):
        step = CRASHING_STEPS.get(item.step)
        return step(self.flow) if step else super().for_item(item)


class LockedWriteBackOnceHandler(OpportunityInvoiceFlow):
    """Flow 2, except that Salesforce locks the row just as the ids are written back to the Opportunity
    (the invoice exists by then): the simulator's UNABLE_TO_LOCK_ROW fault is armed right before the
    write-back (once per marker file), so the failure lands on that step and no other."""

    settings_spec = OPPORTUNITY_INVOICE_SETTINGS.extend(Setting("lock_marker", "str", default=""))

    def write_back(self, item, source, result):
        from integrations.sandbox.salesforce import services as sim

        marker = Path(self.setting("lock_marker", ""))
        if marker.name and not marker.exists():
            marker.write_text(result.external_id)
            sim.org_configure(fault_lock_row=1)
        return super().write_back(item, source, result)
