"""Test-only flow kinds for the end-to-end crash scenarios: the worker process dies right after a
remote create and before Ledgerlink could record it (once per marker file). Registered through
settings_test.LEDGERLINK_FLOW_HANDLERS, so cluster workers load them."""
import os
from pathlib import Path

from integrations.flows.opportunity_invoice import OpportunityInvoiceHandler
from integrations.flows.order_to_cash import STEP_HANDLERS, FreshBooksInvoiceStep, InforOrderStep, OrderToCashFlow


class CrashOnceAfterCreate:
    """Mixin for a handler: after its create, write the new id to the marker file and kill the worker."""

    def crash_marker(self, item) -> str:
        return self.setting("crash_marker", "")

    def create(self, item, payload):
        external_id = super().create(item, payload)
        marker = Path(self.crash_marker(item) or "")
        if marker.name and not marker.exists():
            marker.write_text(external_id)
            os._exit(1)  # the worker dies: no commit, no error handling, nothing recorded
        return external_id


class CrashOnceAfterCreateHandler(CrashOnceAfterCreate, OpportunityInvoiceHandler):
    """Flow 2 (kind ``e2e-crash-once``); settings ``crash_marker``: the marker file."""


class CrashOnceAfterStepCreate(CrashOnceAfterCreate):
    def crash_marker(self, item) -> str:
        return (self.setting("crash_markers", None) or {}).get(item.step, "")


class CrashOnceFreshBooksInvoiceStep(CrashOnceAfterStepCreate, FreshBooksInvoiceStep):
    pass


class CrashOnceInforOrderStep(CrashOnceAfterStepCreate, InforOrderStep):
    pass


CRASHING_STEPS = {**STEP_HANDLERS, "freshbooks_invoice": CrashOnceFreshBooksInvoiceStep,
                  "infor_order": CrashOnceInforOrderStep}


class CrashOnceOrderToCashFlow(OrderToCashFlow):
    """Order-to-Cash (kind ``e2e-o2c-crash-once``); settings ``crash_markers``: {step: marker file}, for
    the FreshBooks invoice and Infor sales-order steps."""

    def for_item(self, item):
        step = CRASHING_STEPS.get(item.step)
        return step(self.flow) if step else super().for_item(item)


class LockedWriteBackOnceHandler(OpportunityInvoiceHandler):
    """Flow 2, except that Salesforce locks the row just as the ids are written back to the Opportunity
    (the invoice exists by then): the simulator's UNABLE_TO_LOCK_ROW fault is armed right before the
    write-back (once per marker file), so the failure lands on that step and no other."""

    def write_back(self, item, source, result):
        from integrations.sandbox.salesforce import services as sim

        marker = Path(self.setting("lock_marker", ""))
        if marker.name and not marker.exists():
            marker.write_text(result.external_id)
            sim.org_configure(fault_lock_row=1)
        return super().write_back(item, source, result)
