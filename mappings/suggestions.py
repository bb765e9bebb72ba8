"""Mapping suggestions: propose (source field → target field) pairs with a confidence.

These are heuristics, and the admin says so: a score mixes
- name similarity (normalised names, plus synonyms such as organization / company / Account.Name),
- type compatibility (a decimal fits a money amount, an email fits text, …),
- agreement of sample values (the source value parses as the target's type, or equals it).
Each target is proposed at most once, best pairs first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .schemas import Schema, SchemaField

WEIGHTS = {"name": 0.65, "type": 0.2, "sample": 0.15}
THRESHOLD = 0.55
MIN_NAME = 0.5

SYNONYMS: dict[str, set[str]] = {
    "organization": {"organization", "company", "company name", "account name", "business name", "customer name", "cunm",
                     "current organization", "billing company", "org"},
    "email": {"email", "e mail", "email address", "mail", "contact email", "customer email", "billing email"},
    "first_name": {"fname", "first name", "firstname", "given name", "customer first name", "billing first name"},
    "last_name": {"lname", "last name", "lastname", "surname", "family name", "customer last name", "billing last name"},
    "phone": {"phone", "bus phone", "business phone", "phno", "telephone", "phone number", "billing phone"},
    "street": {"street", "p street", "billing street", "address1", "address 1", "cua1", "mailing street",
               "billing address address1", "billing address 1"},
    "street2": {"street2", "p street2", "address2", "address 2", "cua2", "billing address address2", "billing address 2"},
    "city": {"city", "p city", "billing city", "town", "mailing city", "billing address city"},
    "province": {"province", "p province", "billing state", "state", "ecar", "mailing state", "billing address province"},
    "postal_code": {"postal code", "p code", "billing postal code", "zip", "postcode", "pono", "zip code",
                    "mailing postal code", "billing address zip", "billing postcode"},
    "country": {"country", "p country", "billing country", "cscd", "mailing country", "billing address country"},
    "currency": {"currency", "currency code", "currency iso code", "cucd"},
    "amount": {"amount", "total", "total price", "pyam", "cuam", "amount amount", "order total"},
    "quantity": {"quantity", "qty", "orqt"},
    "unit_price": {"unit price", "unit cost", "unit cost amount", "price", "sapr", "sales price"},
    "description": {"description", "notes", "note", "itds", "customer note"},
    "date": {"date", "close date", "create date", "created at", "date created", "lpdt", "acdt", "ordt", "order date"},
    "website": {"website", "web site", "url"},
}
CONCEPT = {variant: concept for concept, variants in SYNONYMS.items() for variant in variants}

TYPE_FAMILIES = {
    "text": "text", "email": "text", "phone": "text", "code": "text",
    "decimal": "number", "int": "number", "money": "number",
    "date": "time", "datetime": "time", "bool": "bool", "id": "id", "list": "list", "object": "object",
}


@dataclass(frozen=True)
class Suggestion:
    source_path: str
    target_field: str
    score: float
    name_score: float
    type_score: float
    sample_score: float

    @property
    def confidence(self) -> int:
        return round(self.score * 100)

    @property
    def reason(self) -> str:
        return (f"name {self.name_score:.0%}, type {self.type_score:.0%}, sample values {self.sample_score:.0%}")


def normalise(name: str) -> str:
    """'BillingPostalCode' → 'billing postal code'; 'p_code' → 'p code'; 'Custom__c' → 'custom'."""
    name = re.sub(r"__c$", "", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return " ".join(re.split(r"[\s_.\-\[\]]+", name.lower())).strip()


def _concepts(path: str, schema: Schema) -> set[str]:
    norm = normalise(path)
    found = {CONCEPT[norm]} if norm in CONCEPT else set()
    qualified = normalise(f"{schema.object} {path}")  # Account + Name → "account name"
    if qualified in CONCEPT:
        found.add(CONCEPT[qualified])
    return found


def name_similarity(source: str, target: str, source_schema: Schema, target_schema: Schema) -> float:
    s_concepts, t_concepts = _concepts(source, source_schema), _concepts(target, target_schema)
    if s_concepts & t_concepts:
        return 1.0
    a, b = normalise(source), normalise(target)
    ratio = SequenceMatcher(None, a, b).ratio()
    tokens_a, tokens_b = set(a.split()), set(b.split())
    overlap = len(tokens_a & tokens_b) / len(tokens_a | tokens_b) if tokens_a | tokens_b else 0
    # Different known concepts (street vs city) are a strong sign against the pair.
    penalty = 0.5 if s_concepts and t_concepts else 1.0
    # Shared whole words count more than shared letters ("name" is not "fname").
    return min(0.85, max(ratio * 0.7, overlap)) * penalty


def type_compatibility(source: SchemaField, target: SchemaField) -> float:
    if source.type == target.type:
        return 1.0
    fa, fb = TYPE_FAMILIES.get(source.type, "text"), TYPE_FAMILIES.get(target.type, "text")
    if fa == fb:
        return 0.8
    if "text" in (fa, fb) and "list" not in (fa, fb) and "object" not in (fa, fb):
        return 0.4  # anything can be written as text, and text can often be parsed
    return 0.0


def sample_agreement(value, target: SchemaField, target_value=None) -> float:
    if value is None or value == "":
        return 0.5  # no evidence either way
    if target_value not in (None, "") and str(value).strip().casefold() == str(target_value).strip().casefold():
        return 1.0
    text = str(value)
    checks = {
        "email": lambda: re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) is not None,
        "decimal": lambda: re.fullmatch(r"-?\d+(\.\d+)?", text.strip()) is not None,
        "int": lambda: re.fullmatch(r"-?\d+", text.strip()) is not None,
        "date": lambda: re.match(r"\d{4}-?\d{2}-?\d{2}", text) is not None,
        "datetime": lambda: re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:", text) is not None,
        "bool": lambda: isinstance(value, bool) or text.lower() in {"true", "false", "0", "1"},
        "code": lambda: len(text) <= (target.max_length or 20) and " " not in text.strip(),
    }
    check = checks.get(target.type)
    if check is None:
        return 0.7 if isinstance(value, (str, int, float)) else 0.3
    return 0.8 if check() else 0.1


def mapping_suggestions(*, source_schema: Schema, target_schema: Schema, source_sample: dict | None = None,
                        target_sample: dict | None = None, exclude_targets: set[str] = frozenset()) -> list[Suggestion]:
    """Best-first, one per target field, above the threshold."""
    from .paths import MISSING, path_get

    def sample(record, path, schema_field):
        if record is None:
            return schema_field.example
        value = path_get(record, path)
        return None if value is MISSING else value

    sources = [(p, f) for p, f in source_schema.flat() if f.type != "id"]
    targets = [(p, f) for p, f in target_schema.flat() if f.type != "id" and p not in exclude_targets]
    candidates = []
    for t_path, t_field in targets:
        t_value = sample(target_sample, t_path, t_field) if target_sample is not None else None
        for s_path, s_field in sources:
            name = name_similarity(s_path, t_path, source_schema, target_schema)
            kind = type_compatibility(s_field, t_field)
            agree = sample_agreement(sample(source_sample, s_path, s_field), t_field, t_value)
            score = WEIGHTS["name"] * name + WEIGHTS["type"] * kind + WEIGHTS["sample"] * agree
            if score >= THRESHOLD and name >= MIN_NAME:
                candidates.append(Suggestion(s_path, t_path, round(score, 3), name, kind, agree))
    candidates.sort(key=lambda s: (-s.score, s.target_field, s.source_path))
    chosen, used_sources, used_targets = [], set(), set()
    for s in candidates:
        if s.target_field in used_targets or s.source_path in used_sources:
            continue
        chosen.append(s)
        used_targets.add(s.target_field)
        used_sources.add(s.source_path)
    return chosen


TYPE_TRANSFORMS = {
    "decimal": [{"name": "to_decimal"}],
    "int": [{"name": "to_int"}],
    "bool": [{"name": "to_bool"}],
    "date": [{"name": "to_date"}],
    "datetime": [{"name": "to_datetime"}],
    "email": [{"name": "trim"}, {"name": "lower"}],
    "text": [{"name": "trim"}],
}


def suggested_transforms(target: SchemaField | None) -> list:
    """A starting chain for an accepted pair, from the target's type (the admin refines it)."""
    if target is None:
        return []
    chain = [dict(step) for step in TYPE_TRANSFORMS.get(target.type, [])]
    if target.max_length and target.type in ("text", "email", "phone"):
        chain.append({"name": "truncate", "args": {"length": target.max_length}})
    return chain
