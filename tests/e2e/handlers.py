"""A test-only flow kind for the end-to-end crash scenario: flow 2, except that the worker process
dies right after FreshBooks created the invoice and before Ledgerlink could record it (once per
marker file). Registered through settings_test.LEDGERLINK_FLOW_HANDLERS, so cluster workers load it."""
import os
from pathlib import Path

from integrations.flows.opportunity_invoice import OpportunityInvoiceHandler


class CrashOnceAfterCreateHandler(OpportunityInvoiceHandler):
    def create(self, item, payload):
        external_id = super().create(item, payload)
        marker = Path(self.setting("crash_marker", ""))
        if marker.name and not marker.exists():
            marker.write_text(external_id)
            os._exit(1)  # the worker dies: no commit, no error handling, nothing recorded
        return external_id


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
