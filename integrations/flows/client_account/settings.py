"""Flow 1's settings (both directions), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.client_account.contacts import CONTACT_MAPPING
from integrations.flows.toolkit.scope import SCOPE_SETTINGS
from integrations.flows.toolkit.settings import COMMON_SETTINGS, FIELD_OWNER_SETTINGS, Setting

ACCOUNT_TO_CLIENT_SETTINGS = COMMON_SETTINGS.extend(
    *FIELD_OWNER_SETTINGS,
    Setting("on_account_deleted", "choice", default="leave", choices=("leave", "archive"),
            help="When the Account is deleted in Salesforce: leave the FreshBooks client, or archive it "
                 "(flows/toolkit/deletes.py)."),
)

CLIENT_TO_ACCOUNT_SETTINGS = COMMON_SETTINGS.extend(
    *FIELD_OWNER_SETTINGS,
    *SCOPE_SETTINGS,
    Setting("contact_mapping_set", "str", default=CONTACT_MAPPING,
            help="Published mapping set (by name) for the Account's primary Contact."),
)
