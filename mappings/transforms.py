"""The transform registry: name → small pure function, with its arguments declared as data.

A field mapping's chain is JSON, e.g. ``[{"name": "to_decimal"}, {"name": "round", "args":
{"places": 2, "mode": "half_up"}}]``. Nothing is evaluated as code: the only callables are
the ones listed in TRANSFORMS, and their arguments are checked against the declarations
below before a mapping can be saved or published.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .conditions import condition_validate
from .functions import dates, logic, numbers, text
from .paths import PathSyntaxError, path_parse


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # text, int, bool, number, any, path, paths, condition, choice, texts, zone, regex, dict
    required: bool = False
    choices: tuple = ()
    help: str = ""


@dataclass(frozen=True)
class Transform:
    name: str
    func: object
    params: tuple[Param, ...] = field(default_factory=tuple)
    extra_params: bool = False  # `if` takes then/else/then_field/else_field

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.split("\n")[0]


P = Param
ROUND_MODES = ("half_even", "half_up")
_TRANSFORM_LIST = [
    Transform("to_decimal", numbers.to_decimal, (P("decimal_separator", "text"), P("thousands_separator", "text"))),
    Transform("to_int", numbers.to_int),
    Transform("to_number", numbers.to_number),
    Transform("to_bool", logic.to_bool, (P("true_values", "texts"), P("false_values", "texts"))),
    Transform("to_date", dates.to_date, (P("formats", "texts"), P("tz", "zone"))),
    Transform("to_datetime", dates.to_datetime, (P("formats", "texts"), P("tz", "zone"))),
    Transform("format_date", dates.format_date, (P("format", "text"), P("tz", "zone"), P("formats", "texts"))),
    Transform("money", numbers.money, (P("code", "text"), P("code_field", "path"), P("places", "int"),
                                       P("mode", "choice", choices=ROUND_MODES))),
    Transform("round", numbers.round_amount, (P("places", "int"), P("currency", "text"), P("currency_field", "path"),
                                              P("mode", "choice", choices=ROUND_MODES))),
    Transform("multiply", numbers.multiply, (P("by", "number", required=True),)),
    Transform("convert_currency", numbers.convert_currency, (
        P("to_currency", "text", required=True), P("from_currency", "text"), P("from_currency_field", "path"),
        P("date", "text"), P("date_field", "path"), P("round", "bool"), P("mode", "choice", choices=ROUND_MODES))),
    Transform("concat", text.concat, (P("fields", "paths"), P("separator", "text"), P("skip_blank", "bool"))),
    Transform("split_name", text.split_name, (P("part", "choice", required=True, choices=("first", "last")),)),
    Transform("trim", text.trim),
    Transform("upper", text.upper),
    Transform("lower", text.lower),
    Transform("title", text.title),
    Transform("truncate", text.truncate, (P("length", "int", required=True), P("ellipsis", "text"))),
    Transform("regex_extract", text.regex_extract, (P("pattern", "regex", required=True), P("group", "int"))),
    Transform("replace", text.replace, (P("old", "text", required=True), P("new", "text"), P("regex", "bool"))),
    Transform("template", text.template, (P("template", "text", required=True),)),
    Transform("coalesce", logic.coalesce, (P("fields", "paths", required=True),)),
    Transform("default", logic.default, (P("value", "any", required=True),)),
    Transform("constant", logic.constant, (P("value", "any", required=True),)),
    Transform("lookup", logic.lookup, (P("table", "text", required=True),
                                       P("on_missing", "choice", choices=("error", "default", "keep", "blank")),
                                       P("default", "any"))),
    Transform("map_status", logic.map_status, (P("table", "text"), P("values", "dict"), P("default", "any"))),
    Transform("if", logic.if_then_else, (P("when", "condition", required=True), P("then", "any"), P("else", "any"),
                                         P("then_field", "path"), P("else_field", "path"))),
]

TRANSFORMS: dict[str, Transform] = {t.name: t for t in _TRANSFORM_LIST}

# Transforms whose arguments name value tables (export follows these references).
TABLE_ARGS = {"lookup": "table", "map_status": "table"}


# -- argument checks ---------------------------------------------------------------------
def _check_kind(param: Param, value) -> str | None:
    """A problem with one argument value, or None."""
    kind = param.kind
    if kind == "any":
        return None
    if kind == "text":
        return None if isinstance(value, str) else "must be text"
    if kind == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else "must be a whole number ≥ 0"
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "number":
        try:
            ok = not isinstance(value, bool) and Decimal(str(value)).is_finite()
        except InvalidOperation:
            ok = False
        return None if ok else "must be a number"
    if kind == "choice":
        return None if value in param.choices else f"must be one of: {', '.join(param.choices)}"
    if kind == "texts":
        return None if isinstance(value, list) and all(isinstance(v, str) for v in value) else "must be a list of text"
    if kind == "dict":
        return None if isinstance(value, dict) else "must be an object of source value → target value"
    if kind == "zone":
        try:
            dates.zone(value) if isinstance(value, str) else None
        except Exception:  # TransformError from dates.zone
            return f"is an unknown time zone {value!r} (use names like 'UTC' or 'US/Eastern')"
        return None if isinstance(value, str) else "must be a time zone name"
    if kind == "regex":
        if not isinstance(value, str):
            return "must be a regular expression (text)"
        try:
            re.compile(value)
        except re.error as exc:
            return f"is not a valid regular expression: {exc}"
        return None
    if kind in ("path", "paths"):
        paths = value if kind == "paths" else [value]
        if kind == "paths" and not isinstance(value, list):
            return "must be a list of field paths"
        for p in paths:
            try:
                path_parse(p) if isinstance(p, str) else None
            except PathSyntaxError as exc:
                return str(exc)
            if not isinstance(p, str):
                return "must be a field path (text)"
        return None
    if kind == "condition":
        problems = condition_validate(value)
        return "is not a valid condition: " + "; ".join(p.rstrip(".") for p in problems) if problems else None
    return f"has an unknown kind {kind}"


def transform_step_validate(step) -> list[str]:
    """Problems with one step of a chain: unknown transform, unknown or missing or mistyped arguments."""
    if not isinstance(step, dict) or not isinstance(step.get("name"), str):
        return [f'Each transform must look like {{"name": "trim", "args": {{…}}}}, not {step!r}.']
    name = step["name"]
    transform = TRANSFORMS.get(name)
    if transform is None:
        return [f"Unknown transform '{name}'. Known transforms: {', '.join(sorted(TRANSFORMS))}."]
    args = step.get("args", {})
    if not isinstance(args, dict):
        return [f"The arguments of '{name}' must be an object, not {args!r}."]
    unknown = set(step) - {"name", "args"}
    problems = [f"'{name}' has unexpected keys: {', '.join(sorted(unknown))} (put arguments under \"args\")."] if unknown else []
    declared = {p.name: p for p in transform.params}
    for key in sorted(set(args) - set(declared)):
        allowed = ", ".join(declared) or "none"
        problems.append(f"'{name}' has no argument '{key}' (its arguments: {allowed}).")
    for param in transform.params:
        if param.name not in args:
            if param.required:
                problems.append(f"'{name}' needs the argument '{param.name}'.")
            continue
        problem = _check_kind(param, args[param.name])
        if problem:
            problems.append(f"'{name}': argument '{param.name}' {problem.rstrip('.')}.")
    if name == "map_status" and not (args.get("table") or args.get("values")):
        problems.append("'map_status' needs either 'table' (a value table) or 'values' (an inline map).")
    if name == "template" and isinstance(args.get("template"), str):
        stray = text._PLACEHOLDER.sub("", args["template"])
        if "{" in stray or "}" in stray:
            problems.append("'template': unmatched { or } (write {{ or }} for a literal brace).")
    return problems


def transform_chain_validate(chain) -> list[str]:
    if chain in (None, ""):
        return []
    if not isinstance(chain, list):
        return ["The transforms must be a list of steps."]
    return [f"Step {i}: {p}" for i, step in enumerate(chain, 1) for p in transform_step_validate(step)]


def transform_tables(chain) -> set[str]:
    """Value tables a chain reads."""
    names = set()
    for step in chain or []:
        if isinstance(step, dict) and step.get("name") in TABLE_ARGS:
            table = (step.get("args") or {}).get(TABLE_ARGS[step["name"]])
            if isinstance(table, str) and table:
                names.add(table)
    return names
