"""Flow 8's settings (FreshBooks client ⇄ Infor customer), declared once; see flows/toolkit/settings.py."""
from __future__ import annotations

from integrations.flows.toolkit.scope import SCOPE_SETTINGS
from integrations.flows.toolkit.settings import COMMON_SETTINGS, INFOR_CONNECTION_SETTINGS, Setting

CLIENT_INFOR_SETTINGS = COMMON_SETTINGS.extend(
    *INFOR_CONNECTION_SETTINGS,
    *SCOPE_SETTINGS,
    Setting("field_owner", "dict", default={}, values=Setting("owner", "choice", choices=("freshbooks", "infor")),
            help="{target field: owning system}, for the field_owner policy; unlisted fields follow the source."),
)
