"""Salesforce record ids: 15 case-sensitive characters (key prefix + pod + sequence) and the
18-character form with the 3-character case-safe checksum suffix, computed as Salesforce does.
"""
from __future__ import annotations

import hashlib
import re
import secrets

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
ID_RE = re.compile(r"^[a-zA-Z0-9]{15}([A-Z0-5]{3})?$")

# The simulated org's pod/instance characters (positions 4-6 of every id).
POD = "5g0"


def id_checksum(id15: str) -> str:
    """Each 5-character chunk gives one suffix character: bit i set when char i is upper case."""
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[start:start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += SUFFIX_ALPHABET[bits]
    return suffix


def id_to_18(value: str) -> str:
    return value if len(value) == 18 else value + id_checksum(value)


def id_new(prefix: str) -> str:
    """A fresh 18-character id with the object's key prefix."""
    body = "".join(secrets.choice(BASE62) for _ in range(9))
    id15 = f"{prefix}{POD}{body}"
    return id15 + id_checksum(id15)


def id_stable(prefix: str, key: str) -> str:
    """The same id every time for the same key (things the org ships with, e.g. installed fields)."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    body = ""
    for _ in range(9):
        number, digit = divmod(number, 62)
        body += BASE62[digit]
    id15 = f"{prefix}{POD}{body}"
    return id15 + id_checksum(id15)


def id_is_valid(value: str) -> bool:
    """15 or 18 characters; an 18-character id must carry the right checksum."""
    if not isinstance(value, str) or not ID_RE.match(value):
        return False
    return len(value) == 15 or id_checksum(value[:15]) == value[15:]


def id_normalise(value: str) -> str | None:
    """The 18-character form of a valid id, else None."""
    return id_to_18(value) if id_is_valid(value) else None
