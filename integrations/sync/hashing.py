"""Stable content hashes for echo suppression: same mapped content → same hash."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal


def _default(value):
    if isinstance(value, Decimal):
        # Normalise so 10, 10.0 and 10.00 hash alike: an amount is the same amount.
        return format(value.normalize(), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def payload_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_default)
    return hashlib.sha256(canonical.encode()).hexdigest()
