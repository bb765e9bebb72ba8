"""Secrets in the admin are write-only: no page renders a stored secret to anyone.

Django renders a read-only field with its value — every field is read-only to a user with
the view permission only, so a secret declared as an input (or a model field holding one)
would be shown in clear to exactly the people who must not see it. ``SecretFieldsAdmin``
takes the fields named in ``secret_fields`` out of every fieldset and list column, except
an input that renders empty (a password input without ``render_value``) offered to a user
who may save the form. Each app's admin names its secret fields there; the canary test
(tests/integrations/test_admin_secrets.py) puts a known value in each and reads every page.
"""
from __future__ import annotations

from django import forms
from unfold.admin import ModelAdmin


def field_is_write_only(form_class, name: str) -> bool:
    """True when the form's field ``name`` is an input that never renders its value."""
    field = getattr(form_class, "base_fields", {}).get(name)
    widget = getattr(field, "widget", None)
    return isinstance(widget, forms.PasswordInput) and not widget.render_value


class SecretFieldsAdmin(ModelAdmin):
    #: form inputs or model fields holding a secret (a token, key, password or a URL embedding one)
    secret_fields: tuple[str, ...] = ()

    def _may_save(self, request, obj) -> bool:
        return self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)

    def _hidden_secrets(self, request, obj) -> set[str]:
        may_save = self._may_save(request, obj)
        return {name for name in self.secret_fields if not (may_save and field_is_write_only(self.form, name))}

    def get_fieldsets(self, request, obj=None):
        hidden = self._hidden_secrets(request, obj)
        return [(title, {**options, "fields": _without(options.get("fields", ()), hidden)})
                for title, options in super().get_fieldsets(request, obj)]

    def get_list_display(self, request):
        return [name for name in super().get_list_display(request) if name not in self.secret_fields]

    def get_search_fields(self, request):
        # a search box over a secret answers "does it start with…": an oracle, not a page, but still a leak
        return [name for name in super().get_search_fields(request)
                if name.split("__")[0] not in self.secret_fields]


def _without(fields, hidden: set[str]) -> list:
    """``fields`` of a fieldset (names, or tuples of names shown on one line) without ``hidden``."""
    kept = []
    for entry in fields:
        if isinstance(entry, (list, tuple)):
            line = [name for name in entry if name not in hidden]
            if line:
                kept.append(tuple(line))
        elif entry not in hidden:
            kept.append(entry)
    return kept
