"""The admin's Flow form: the kind is one of the registered flow kinds (with the systems and
objects it works on), the mapping set one of the published sets suitable for it, and the
kind's typed settings (flows/<flow>/settings.py ``settings_spec``) are form fields with their
help text, not a JSON box. The settings they make are checked by the same validator as
``import_config`` (flows/registry.py flow_settings_problems), each problem shown on its field
as a sentence naming the key or value."""
from __future__ import annotations

import json

from django import forms

from integrations.flows.registry import (
    FLOW_KIND_OBJECTS,
    flow_handler_class,
    flow_kind_objects,
    flow_objects_problems,
    flow_kinds,
    flow_settings_problems,
    flow_settings_spec,
)
from integrations.errors import UnknownFlowKind
from integrations.flows.toolkit.settings import Setting
from integrations.models import Flow
from mappings.models import MappingSet

PREFIX = "setting__"  # form field name of a typed setting: PREFIX + its name
JSON_TYPES = ("dict", "list", "texts")


def _kind_label(kind: str) -> str:
    objects = flow_kind_objects(kind)
    if objects is None:
        return kind
    return f"{kind} ({', '.join(objects.source_objects)} → {', '.join(objects.target_objects)})"


def _kind_choices() -> list[tuple[str, str]]:
    return [("", "---------")] + [(kind, _kind_label(kind)) for kind in flow_kinds()]


def _kinds_help() -> str:
    return "Objects each kind works on: " + "; ".join(
        f"{kind}: {'/'.join(o.source_systems)} {', '.join(o.source_objects)} → "
        f"{'/'.join(o.target_systems)} {', '.join(o.target_objects)}" for kind, o in sorted(FLOW_KIND_OBJECTS.items())
    ) + "."


def _default_words(setting: Setting) -> str:
    if setting.default in (None, "", {}, []):
        return "none"
    return json.dumps(setting.default) if not isinstance(setting.default, str) else setting.default


def setting_field(setting: Setting) -> forms.Field:
    """One typed setting as a form field. Blank means "the declared default"; text is kept as typed
    so the settings validator, not the field, words any problem (the same sentence as import_config)."""
    help_text = f"{setting.help} Blank: the default ({_default_words(setting)})."
    if setting.type == "bool":
        return forms.ChoiceField(required=False, help_text=help_text, choices=[
            ("", f"Default ({'yes' if setting.default else 'no'})"), ("true", "Yes"), ("false", "No")])
    if setting.type == "choice":
        return forms.ChoiceField(required=False, help_text=help_text,
                                 choices=[("", f"Default ({_default_words(setting)})")] + [(c, c) for c in setting.choices])
    if setting.type in JSON_TYPES:
        return forms.CharField(required=False, help_text=help_text + " As JSON, e.g. " + (
            "{\"key\": \"value\"}." if setting.type == "dict" else "[\"a\", \"b\"]."),
            widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    return forms.CharField(required=False, help_text=help_text)


def setting_shown(setting: Setting, value) -> str:
    """A stored setting as its form field shows it."""
    if value is None:
        return ""
    if setting.type == "bool":
        return "true" if value else "false"
    if setting.type in JSON_TYPES:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def setting_read(setting: Setting, text: str):
    """A posted field as the stored setting (None: blank, the default applies); text that is not
    the type stays text, for the validator to name."""
    text = (text or "").strip()
    if text == "":
        return None
    if setting.type == "bool":
        return text == "true"
    if setting.type in JSON_TYPES:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text if setting.type == "texts" else _NotJson(text)
    if setting.type == "int" and text.lstrip("-").isdigit():
        return int(text)
    return text


class _NotJson(str):
    """Posted text that should have been JSON (the sentence says what it must be)."""


def settings_form_data(kind: str, settings: dict | None) -> dict[str, str]:
    """The typed fields' values for a flow's stored settings, as the form posts them (for callers
    that post the form: tests, scripts)."""
    try:
        spec = flow_settings_spec(flow_handler_class(kind))
    except UnknownFlowKind:
        return {}
    return {PREFIX + name: setting_shown(s, (settings or {}).get(name)) for name, s in spec.settings.items()}


def kind_settings_spec(kind: str):
    """The kind's settings, or None for no kind or an unknown one (the kind field says so)."""
    try:
        return flow_settings_spec(flow_handler_class(kind)) if kind else None
    except UnknownFlowKind:
        return None


def flow_form_for(form_class: type[FlowForm], kind: str) -> type[FlowForm]:
    """``form_class`` with a field per typed setting of ``kind`` (declared on the class, so the
    admin lays them out like any other field)."""
    spec = kind_settings_spec(kind)
    fields = {}
    for name, setting in (spec.settings.items() if spec else ()):
        fields[PREFIX + name] = setting_field(setting)
        fields[PREFIX + name].label = name.replace("_", " ").capitalize()
    return type(form_class.__name__, (form_class,), {"spec": spec, **fields})


class FlowForm(forms.ModelForm):
    # A callable, so kinds added through LEDGERLINK_FLOW_HANDLERS (and test settings) are read
    # when the form is built, not when this module is imported.
    kind = forms.ChoiceField(
        choices=_kind_choices,
        help_text="The flow handler, from the flow registry (integrations/flows/registry.py). Its settings appear "
                  "below once the flow is saved with it (or open this page with ?kind=<kind>).",
        error_messages={"invalid_choice": "Unknown flow kind '%(value)s': no flow handler is registered for it. "
                                          "Choose one of the listed kinds."})

    class Meta:
        model = Flow
        exclude = ["settings"]  # edited as the typed fields below

    spec = None  # the kind's SettingsSpec, with a field per setting: flow_form_for

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].help_text += " " + _kinds_help()
        stored = self.instance.settings or {}
        for name, setting in (self.spec.settings.items() if self.spec else ()):
            self.initial.setdefault(PREFIX + name, setting_shown(setting, stored.get(name)))
        if "mapping_set" in self.fields:
            self._mapping_sets_limit()

    @property
    def kind_chosen(self) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix("kind"), "")
        return self.initial.get("kind") or self.instance.kind or ""

    def _mapping_sets_limit(self) -> None:
        """Published sets only; for a kind that names its systems, those reading and writing them."""
        sets = MappingSet.objects.filter(status=MappingSet.Status.PUBLISHED)
        objects = flow_kind_objects(self.kind_chosen) if self.kind_chosen else None
        if objects is not None:
            sets = sets.filter(source_system__in=objects.source_systems, target_system__in=objects.target_systems)
        field = self.fields["mapping_set"]
        field.queryset = sets.order_by("name")
        field.help_text = ("A published mapping set reading the kind's source system and writing its target "
                           "system (blank: each step's default set).")
        field.label_from_instance = lambda ms: (f"{ms.name} v{ms.version} ({ms.source_system} {ms.source_object} → "
                                                f"{ms.target_system} {ms.target_object})")

    def settings_posted(self) -> dict:
        values = {}
        for name, setting in (self.spec.settings.items() if self.spec else ()):
            value = setting_read(setting, self.cleaned_data.get(PREFIX + name, ""))
            if value is not None:
                values[name] = value
        return values

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        self._objects_check(kind, cleaned)
        settings = self.settings_posted()
        problems = flow_settings_problems(kind=kind, settings=settings)
        for problem in problems:
            name = PREFIX + problem.key.split(".")[0]
            sentence = problem.sentence
            if isinstance(settings.get(problem.key), _NotJson):
                sentence = f"Flow setting {problem.key} is not valid JSON. " + sentence
            self.add_error(name if name in self.fields else None, sentence)
        if not problems and cleaned.get("source_connection") and cleaned.get("source_object"):
            # Objects and fields the flow names must exist, as the mapping schemas know them (shipped, or
            # described: manage.py describe_objects). Not asked of the system here: the form runs inside
            # the admin's transaction, and the sandbox simulator answers from the same database.
            for sentence in flow_objects_problems(
                    kind=kind, source_connection=cleaned["source_connection"], source_object=cleaned["source_object"],
                    target_connection=cleaned.get("target_connection"), target_object=cleaned.get("target_object"),
                    settings=settings):
                self.add_error(None, sentence)
        self.instance.settings = settings
        return cleaned

    def _objects_check(self, kind: str, cleaned: dict) -> None:
        objects = flow_kind_objects(kind)
        if objects is None:
            return
        for field, allowed, what in (("source_object", objects.source_objects, "reads"),
                                     ("target_object", objects.target_objects, "writes")):
            value = cleaned.get(field)
            if value and value not in allowed:
                self.add_error(field, f"A flow of kind '{kind}' {what} {', '.join(allowed)}, not '{value}'.")
        for field, allowed in (("source_connection", objects.source_systems),
                               ("target_connection", objects.target_systems)):
            connection = cleaned.get(field)
            if connection is not None and connection.system not in allowed:
                self.add_error(field, f"A flow of kind '{kind}' needs a {' or '.join(allowed)} connection here; "
                                      f"{connection} is {connection.system}.")
        ms = cleaned.get("mapping_set")
        if ms is not None and (ms.source_system not in objects.source_systems
                               or ms.target_system not in objects.target_systems):
            self.add_error("mapping_set", f"Mapping set {ms.name} maps {ms.source_system} → {ms.target_system}; "
                                          f"a flow of kind '{kind}' needs {'/'.join(objects.source_systems)} → "
                                          f"{'/'.join(objects.target_systems)}.")
