"""Choosing values: defaults, constants, first non-blank, value tables, status maps, if/then/else."""
from __future__ import annotations

from ..conditions import condition_holds
from ..paths import MISSING
from . import Env, TransformError, blank, show


def constant(x, env: Env, value):
    """Always this value: value="USD" → "USD" (whatever the source says)."""
    return value


def default(x, env: Env, value):
    """This value when the current one is blank: value="Unknown" turns "" into "Unknown", keeps "Acme"."""
    return value if blank(x) else x


def coalesce(x, env: Env, fields=()):
    """The first non-blank of the value and the given fields: fields=["Email", "Contact.Email"]."""
    if not blank(x):
        return x
    for path in fields:
        value = env.get(path)
        if not blank(value):
            return value
    return None


def lookup(x, env: Env, table, on_missing="error", default=None):
    """Translate through a value table: table="payment-gateway-to-infor-payment-method" "PayPal" → "PP".

    Not in the table: the table's default; otherwise on_missing decides: "error" (default),
    "default" (use this transform's default), "keep" (pass the value through), "blank".
    """
    if blank(x):
        return None
    data = env.context.value_table(table)
    if data is None:
        raise TransformError(f"cannot be translated: the value table '{table}' does not exist", x)
    found = data.get(x)
    if found is not MISSING:
        return found
    if on_missing == "default":
        return default
    if on_missing == "keep":
        return x
    if on_missing == "blank":
        return None
    raise TransformError(f"{show(x)} is not in the value table '{table}' (add it there, or give the table a default)", x,
                         fix={"value_table": table, "key": str(x)})


def map_status(x, env: Env, table=None, values=None, default=None):
    """Translate a status: from a value table (table=…) or inline (values={"paid": "Paid", "partial": "Partially Paid"}).
    An unknown status is an error that lists the known ones, unless default is set."""
    if blank(x):
        return None
    if table:
        data = env.context.value_table(table)
        if data is None:
            raise TransformError(f"cannot be translated: the value table '{table}' does not exist", x)
        found, known = data.get(x), sorted(data.entries)
    else:
        mapping = {str(k).casefold(): v for k, v in (values or {}).items()}
        found, known = mapping.get(str(x).strip().casefold(), MISSING), sorted(values or {})
    if found is not MISSING:
        return found
    if default is not None:
        return default
    raise TransformError(f"status {show(x)} is not known (known: {', '.join(map(str, known)) or 'none'})", x)


TRUE_WORDS = {"true", "t", "yes", "y", "1", "on"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "off", ""}


def to_bool(x, env, true_values=(), false_values=()):
    """Yes or no: "true"/"yes"/"y"/"1"/"on" → true · "false"/"no"/"0"/"off"/"" → false ·
    true_values=["Active"] adds words · anything else → error "'maybe' is not yes or no"."""
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    word = str(x).strip().casefold()
    if word in TRUE_WORDS or word in {v.casefold() for v in true_values}:
        return True
    if word in FALSE_WORDS or word in {v.casefold() for v in false_values}:
        return False
    raise TransformError(f"{show(x)} is not yes or no", x)


def if_then_else(x, env: Env, when, **branches):
    """If/then/else on a condition: when={"field": "StageName", "op": "eq", "value": "Closed Won"},
    then="sent", else="draft" · then_field / else_field take a source field instead · a branch left out keeps
    the current value."""
    holds = condition_holds(when, record=env.record, root=env.root)
    key = "then" if holds else "else"
    if f"{key}_field" in branches:
        return env.get(branches[f"{key}_field"])
    return branches.get(key, x)
