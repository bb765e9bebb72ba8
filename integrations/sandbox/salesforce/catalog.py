"""The org's objects as one API user sees them: the built-in schema (schema.py), without our
custom fields when the org is a fresh one (SfOrg.custom_fields_installed off), plus the custom
fields created in it through the Tooling API, each shown to the user only as far as their
permission sets grant it (security.py). Describe, SOQL, writes and change events all read
their objects here, so a created field behaves the same everywhere."""
from __future__ import annotations

from .context import context_current
from .models import SfCustomField
from .org import org_get
from .schema import CUSTOMIZABLE, Field, SObject, is_custom, sobject_get
from .security import field_grants


def sobject_view(name: str, *, as_api_user: bool = True) -> SObject | None:
    """The object as the calling API user sees it (``as_api_user=False``: every field, as the
    org's own machinery — change events, the simulator's pages — sees it)."""
    org = org_get()
    base = sobject_get(name, multi_currency=org.multi_currency)
    if base is None or base.name not in CUSTOMIZABLE:
        return base
    ctx = context_current()
    user_id = ctx.user_id if ctx is not None and as_api_user else ""
    key = (base.name, org.multi_currency, org.custom_fields_installed, user_id)
    cache = ctx.schema_cache if ctx is not None and ctx.user_id else None  # only within one API call
    if cache is not None and key in cache:
        return cache[key]
    view = _view(base, installed=org.custom_fields_installed, user_id=user_id)
    if cache is not None:
        cache[key] = view
    return view


def _view(base: SObject, *, installed: bool, user_id: str) -> SObject:
    created = list(SfCustomField.objects.filter(sobject=base.name).order_by("pk"))
    if installed and not created:
        return base
    fields = [f for f in base.fields if installed or not is_custom(f)]
    grants = field_grants(user_id) if user_id and created else None
    for custom in created:
        read, edit = (True, True) if grants is None else grants.get(f"{base.name}.{custom.name}".lower(), (False, False))
        if read:  # an unreadable field does not exist for this user: describe omits it, SOQL says No such column
            fields.append(custom_field_as_field(custom, editable=edit))
    return SObject(base.name, base.key_prefix, fields, base.children, base.createable, base.hard_delete, base.label)


def custom_field_as_field(custom: SfCustomField, *, editable: bool = True) -> Field:
    return Field(custom.name, custom.type, custom.length, createable=editable, updateable=editable,
                 external_id=custom.external_id, unique=custom.unique, picklist=tuple(custom.picklist),
                 label=custom.label, precision=custom.precision, scale=custom.scale)
