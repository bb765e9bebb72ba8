"""Typed flow settings: what a flow kind accepts in ``Flow.settings``.

Each flow package declares its settings once, in ``flows/<flow>/settings.py``, as a
``SettingsSpec`` of ``Setting`` (name, type, default, allowed values, help text) and attaches
it to its handler class (``settings_spec``). The admin form, ``import_config`` and the engine
check a flow's settings against it (``flows/registry.py`` ``flow_config_errors``) and refuse an
unknown key or a wrong value with a sentence naming it; handlers read a setting through the
spec (``FlowHandler.setting``), which gives the declared default when the key is absent.

Types: ``str``; ``code`` (text, or a whole number read as text: account numbers, prefixes);
``int`` (a whole number, or text holding one); ``bool``; ``decimal`` (a number, or text
holding one); ``choice`` (one of ``choices``); ``dict`` (its own keys checked by ``fields``,
or its keys limited to ``keys`` and each value checked as ``values``); ``list``;
``texts`` (text, or a list of texts). A JSON null counts as absent (the default applies).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

MISSING = object()


class Problem(NamedTuple):
    """One thing wrong with a flow's settings: the key (dotted when nested) and the sentence."""

    key: str
    sentence: str


def _whole(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def _decimal(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


# type → (is the value of this type, words for the sentence "must be …")
TYPES: dict[str, tuple] = {
    "str": (lambda v: isinstance(v, str), "text"),
    "code": (lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)), "text or a whole number"),
    "int": (_whole, "a whole number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "decimal": (_decimal, "a number"),
    "choice": (lambda v: True, ""),  # checked against the choices
    "dict": (lambda v: isinstance(v, dict), "an object ({…})"),
    "list": (lambda v: isinstance(v, list), "a list ([…])"),
    "texts": (lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)),
              "text or a list of texts"),
}


def shown(value) -> str:
    """A value as a sentence quotes it: text in quotes, anything else as JSON."""
    if isinstance(value, str):
        return f"'{value}'"
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: Any = None
    help: str = ""
    choices: tuple = ()
    #: dict settings: their own keys, checked like a flow's settings (e.g. "reconcile")
    fields: SettingsSpec | None = None
    #: dict settings: the keys they may hold, when fixed (e.g. the chain's steps)
    keys: tuple = ()
    #: dict settings: what each value must be (checked as a Setting of that type and choices)
    values: Setting | None = None
    #: int settings: the smallest value that makes sense
    minimum: int | None = None

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"Setting {self.name!r}: unknown type {self.type!r} (known: {', '.join(TYPES)}).")

    def problems(self, value, *, path: str, kind: str) -> list[Problem]:
        """What is wrong with ``value`` (empty: nothing); ``path`` names it in the sentences."""
        if value is None:
            return []
        if self.type == "choice":
            if value not in self.choices:
                return [Problem(path, f"Flow setting {path} is {shown(value)}; it must be one of: "
                                      f"{', '.join(str(c) for c in self.choices)}.")]
            return []
        accepts, words = TYPES[self.type]
        if not accepts(value):
            return [Problem(path, f"Flow setting {path} is {shown(value)}; it must be {words}.")]
        if self.minimum is not None and self.type == "int" and int(value) < self.minimum:
            return [Problem(path, f"Flow setting {path} is {shown(value)}; it must be at least {self.minimum}.")]
        if self.type != "dict":
            return []
        if self.fields is not None:
            return self.fields.problems(value, kind=kind, prefix=f"{path}.")
        found = []
        for key, item in value.items():
            if self.keys and key not in self.keys:
                found.append(Problem(f"{path}.{key}", f"Unknown key {shown(key)} in flow setting {path} for flow "
                                                      f"kind '{kind}'. Known: {', '.join(self.keys)}."))
            elif self.values is not None:
                found += self.values.problems(item, path=f"{path}.{key}", kind=kind)
        return found

    def read(self, value):
        """The stored value as the handler uses it (whole numbers as int, numbers as Decimal)."""
        if value is None:
            return self.default
        if self.type == "int":
            return int(value)
        if self.type == "decimal":
            return Decimal(str(value))
        if self.type == "code":
            return str(value)
        return value


class SettingsSpec:
    """The settings one flow kind accepts, by name."""

    def __init__(self, *settings: Setting):
        self.settings: dict[str, Setting] = {}
        for setting in settings:
            self.settings[setting.name] = setting

    def extend(self, *settings: Setting) -> SettingsSpec:
        """This spec plus (or with replaced) some settings."""
        return SettingsSpec(*self.settings.values(), *settings)

    def __contains__(self, name: str) -> bool:
        return name in self.settings

    def names(self) -> list[str]:
        return sorted(self.settings)

    def problems(self, values, *, kind: str, prefix: str = "") -> list[Problem]:
        """Every unknown key or wrong value in ``values``, each with a sentence naming it."""
        if values is None:
            return []
        if not isinstance(values, dict):
            return [Problem(prefix[:-1], f"The settings of a flow of kind '{kind}' must be an object ({{…}}), not "
                                         f"{shown(values)}.")]
        found = []
        for key, value in values.items():
            setting = self.settings.get(key)
            if setting is None:
                known = ", ".join(prefix + n for n in self.names()) or "none"
                found.append(Problem(prefix + key, f"Unknown setting '{prefix}{key}' for flow kind '{kind}'. "
                                                   f"Known: {known}."))
                continue
            found += setting.problems(value, path=prefix + key, kind=kind)
        return found

    def value(self, values: dict | None, name: str, default=MISSING):
        """The setting as the handler uses it: the stored value, or ``default`` when given,
        or the declared default. Blank text counts as absent too (an emptied admin field)."""
        try:
            setting = self.settings[name]
        except KeyError:
            raise LookupError(f"Setting '{name}' is read but not declared in the flow's settings spec "
                              f"(declared: {', '.join(self.names()) or 'none'}).") from None
        stored = (values or {}).get(name)
        if stored is None or stored == "":
            return setting.default if default is MISSING else default
        return setting.read(stored)


# -- settings every flow accepts ---------------------------------------------------------------
RECONCILE = Setting(
    "reconcile", "dict", default={}, help="Reconciliation options (operations/reconcile.py).",
    fields=SettingsSpec(
        Setting("amount_tolerance", "decimal", default="0.01", help="Totals closer than this are the same."),
        Setting("status_map", "dict", default={}, values=Setting("status", "texts"),
                help="{source status: expected target status, or a list of accepted ones}; without it statuses "
                     "are not compared."),
    ))

COMMON_SETTINGS = SettingsSpec(RECONCILE)

# -- groups of settings that a toolkit reads for the flows using it ----------------------------
OWNERS = ("source", "target", "salesforce", "freshbooks")
#: flows resolving conflicts with flows/toolkit/conflicts.py (field_owner policy)
FIELD_OWNER_SETTINGS = (
    Setting("field_owners", "dict", default={}, values=Setting("owner", "choice", choices=OWNERS),
            help="{target field: owning system}; overrides the defaults (toolkit/conflicts.py DEFAULT_OWNERS)."),
    Setting("default_owner", "choice", default="source", choices=OWNERS,
            help="Who wins a conflict on a field no owner is listed for (\"source\": the change being synced)."),
)
#: flows on the Infor toolkit (flows/toolkit/infor.py connection_of): connections named when
#: they are neither the flow's source nor its target
INFOR_CONNECTION_SETTINGS = (
    Setting("freshbooks_connection", "str", default="", help="Name of the FreshBooks connection, when it is "
            "neither the flow's source nor its target."),
    Setting("infor_connection", "str", default="", help="Name of the Infor connection, when it is neither the "
            "flow's source nor its target."),
)
