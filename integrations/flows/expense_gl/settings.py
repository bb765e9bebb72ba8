"""Flow 7's settings (expense → Infor GL journal), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.settings import COMMON_SETTINGS, INFOR_CONNECTION_SETTINGS, Setting

EXPENSE_GL_SETTINGS = COMMON_SETTINGS.extend(
    *INFOR_CONNECTION_SETTINGS,
    Setting("offset_account", "code", default="2000", help="GL account credited (bank or payables)."),
    Setting("tax_account", "code", default="2640", help="GL account debited with the input tax."),
    Setting("amount_includes_tax", "bool", default=True, help="Whether FreshBooks' expense amount includes the tax."),
    Setting("batch_prefix", "code", default="FBX", help="Start of the GL batch key (prefix + expense id, ≤ 15)."),
    Setting("local_currency", "str", default="",
            help="Currency of the local amounts; a foreign-currency expense gets them at the dated rate."),
)
