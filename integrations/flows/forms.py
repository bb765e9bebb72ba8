"""The admin's Flow form: the kind is one of the registered flow kinds, and the settings are
checked against that kind's declared settings (flows/registry.py), each problem shown on the
form as a sentence naming the key or value."""
from __future__ import annotations

from django import forms

from integrations.flows.registry import flow_kinds, flow_settings_problems
from integrations.models import Flow


def _kind_choices() -> list[tuple[str, str]]:
    return [("", "---------")] + [(kind, kind) for kind in flow_kinds()]


class FlowForm(forms.ModelForm):
    # A callable, so kinds added through LEDGERLINK_FLOW_HANDLERS (and test settings) are read
    # when the form is built, not when this module is imported.
    kind = forms.ChoiceField(
        choices=_kind_choices, help_text="The flow handler, from the flow registry (integrations/flows/registry.py).",
        error_messages={"invalid_choice": "Unknown flow kind '%(value)s': no flow handler is registered for it. "
                                          "Choose one of the listed kinds."})

    class Meta:
        model = Flow
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        kind, settings = cleaned.get("kind"), cleaned.get("settings")
        if kind and "settings" not in self.errors:
            for problem in flow_settings_problems(kind=kind, settings=settings or {}):
                self.add_error("settings", problem.sentence)
        return cleaned
