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
