"""Errors the mapping engine raises. The sync engine treats them as permanent (dead letter)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    """One field that could not be mapped, in words a finance person can act on."""

    field: str
    message: str
    value: object = None
    fix: dict = field(default_factory=dict)  # e.g. {"value_table": name, "key": value}: what would fix it

    def __str__(self) -> str:
        return self.message


@dataclass
class MappingError(Exception):
    """The source record cannot be mapped until its data or the mapping is fixed."""

    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self):
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        return "; ".join(str(e) for e in self.errors) or "The record could not be mapped."

    @property
    def field(self) -> str:
        return self.errors[0].field if self.errors else ""

    @property
    def value(self):
        return self.errors[0].value if self.errors else None

    @property
    def fix(self) -> dict:
        return self.errors[0].fix if self.errors else {}

    @classmethod
    def single(cls, field_name: str, message: str, value=None) -> MappingError:
        return cls([FieldError(field_name, message, value)])


class ConfigurationError(Exception):
    """Mapping configuration that cannot be saved, published or imported; nothing was changed."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))
