"""Text: joining, splitting names, cleaning, truncating, extracting, templating."""
from __future__ import annotations

import re

from . import Env, TransformError, blank

# Lower-case words that start a family name: "Ludwig van Beethoven" → last "van Beethoven".
NAME_PARTICLES = {
    "al", "bin", "bint", "da", "dal", "de", "degli", "dei", "del", "della", "der", "des", "di", "dos",
    "du", "el", "ibn", "la", "le", "mac", "san", "st", "st.", "ter", "van", "vande", "von", "zu",
}
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "md"}


def text_of(x) -> str:
    return "" if blank(x) else str(x)


def concat(x, env: Env, fields=(), separator=" ", skip_blank=True):
    """Join the value and the given source fields: fields=["fname", "lname"] → "Gordon Shumway" ·
    blanks are skipped by default, so a missing first name gives "Shumway", not " Shumway"."""
    parts = ([] if x is None else [x]) + [env.get(path) for path in fields]
    if skip_blank:
        parts = [p for p in parts if not blank(p)]
    if not parts:
        return None
    return separator.join(text_of(p) for p in parts)


def name_split(full: str) -> tuple[str, str]:
    words = full.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]  # one name: a last name (Salesforce requires LastName)
    suffix = []
    while len(words) > 2 and words[-1].lower().strip(",") in NAME_SUFFIXES:
        suffix.insert(0, words.pop())
    for i in range(1, len(words) - 1):
        if words[i].lower() in NAME_PARTICLES:
            return " ".join(words[:i]), " ".join(words[i:] + suffix)
    return " ".join(words[:-1]), " ".join(words[-1:] + suffix)


def split_name(x, env: Env, part="first"):
    """First or last name from a full name: "Gordon Shumway" → first "Gordon", last "Shumway" ·
    "Ludwig van Beethoven" → last "van Beethoven" · a single name "Cher" → first "", last "Cher" ·
    "Martin Luther King Jr." → first "Martin Luther", last "King Jr."."""
    if blank(x):
        return None
    first, last = name_split(str(x))
    return first if part == "first" else last


def trim(x, env: Env):
    """Strip spaces at both ends and collapse runs of spaces inside: "  Acme   Corp " → "Acme Corp"."""
    return None if x is None else " ".join(str(x).split())


def upper(x, env: Env):
    """"acme" → "ACME"."""
    return None if x is None else str(x).upper()


def lower(x, env: Env):
    """"Gordon@Example.COM" → "gordon@example.com"."""
    return None if x is None else str(x).lower()


def title(x, env: Env):
    """"ACME CORP" → "Acme Corp"."""
    return None if x is None else str(x).title()


def truncate(x, env: Env, length, ellipsis=""):
    """Cut to at most length characters (ellipsis included): length=5 "Shumway" → "Shumw" ·
    length=5 ellipsis="…" → "Shum…"."""
    if x is None:
        return None
    text = str(x)
    if len(text) <= length:
        return text
    tail = ellipsis[:length]
    return text[: length - len(tail)] + tail


def regex_extract(x, env: Env, pattern, group=None):
    """The first match of a regular expression (its first group, if it has one):
    pattern="INV-(\\d+)" "Ref INV-0042" → "0042" · no match → blank."""
    if blank(x):
        return None
    match = re.search(pattern, str(x))
    if match is None:
        return None
    if group is None:
        group = 1 if match.re.groups else 0
    try:
        return match.group(group)
    except IndexError:
        raise TransformError(f"pattern {pattern!r} has no group {group}", x) from None


def replace(x, env: Env, old, new="", regex=False):
    """Replace text: old="-" new="" "555-1234" → "5551234" · regex=true old="\\s+" new=" "."""
    if x is None:
        return None
    return re.sub(old, new, str(x)) if regex else str(x).replace(old, new)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def template(x, env: Env, template):
    """Fill a text template with named fields (no code, no attribute access):
    "{fname} {lname} <{email}>" → "Gordon Shumway <g@x.com>" · {value} is the value so far ·
    {{ and }} are literal braces · a missing field is empty."""

    def fill(match):
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1).strip()
        value = x if name == "value" else env.get(name)
        return text_of(value)

    return _PLACEHOLDER.sub(fill, template)


def template_fields(template: str) -> list[str]:
    """Placeholder names, for validation."""
    return [m.group(1).strip() for m in _PLACEHOLDER.finditer(template) if m.group(1) is not None]
