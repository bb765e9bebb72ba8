"""The X-FreshBooks-Hmac-SHA256 check, exactly as FreshBooks documents it (reference §4.4).

message = json.dumps({name: str(value), ...}) over the form parameters in the order they
were sent (Python's default separators ", " and ": ", ensure_ascii) — not the raw body;
signature = base64(HMAC-SHA256(key=verifier, message)). Compared in constant time.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl

SIGNATURE_HEADER = "X-FreshBooks-Hmac-SHA256"


def form_params(body: bytes) -> list[tuple[str, str]]:
    """The form-encoded body as (name, value) pairs in received order (ValueError if not UTF-8 form data)."""
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))


def signature_compute(verifier: str, params: list[tuple[str, str]]) -> str:
    message = json.dumps({name: str(value) for name, value in params})
    digest = hmac.new(verifier.encode("utf-8"), msg=message.encode("utf-8"), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_valid(verifier: str, params: list[tuple[str, str]], signature: str) -> bool:
    if not verifier or not signature:
        return False
    return hmac.compare_digest(signature_compute(verifier, params).encode(), signature.strip().encode())
