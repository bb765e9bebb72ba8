"""The small pure functions behind the transform registry (mappings/transforms.py).

Every function takes (x, env, **args): x is the value so far, env gives read access to the
record (for paths in arguments) and to value tables and rates. Blank in, blank out: a
converter leaves None alone, so `default` and `required` decide what a blank means.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..context import MappingContext
from ..paths import MISSING, path_get


class TransformError(ValueError):
    """A value that cannot be transformed; the message follows the field label:
    "unit price" + " 'abc' is not a number"."""

    def __init__(self, message: str, value=None, *, fix: dict | None = None):
        super().__init__(message)
        # fix: what would make the value pass, structured (e.g. {"value_table": name, "key": value}),
        # so the error console groups and links failures without parsing the sentence.
        self.message, self.value, self.fix = message, value, fix or {}


@dataclass
class Env:
    record: object
    root: object
    context: MappingContext

    def get(self, path: str):
        value = path_get(self.record, path, root=self.root)
        return None if value is MISSING else value


def blank(x) -> bool:
    return x is None or x is MISSING or (isinstance(x, str) and not x.strip())


def show(x) -> str:
    """A value as quoted in error messages."""
    text = repr(x) if isinstance(x, str) else str(x)
    return text if len(text) <= 60 else text[:57] + "…'"
