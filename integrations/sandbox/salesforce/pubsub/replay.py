"""Replay ids: opaque bytes that name a position on the bus (a bus_seq), as Salesforce's are
opaque and not contiguous. A version byte, the position and a short tag bound to the org, so a
made-up or damaged id is recognised (it answers the "replay id corrupted" error)."""
from __future__ import annotations

import hashlib
import struct

VERSION = b"\x01"
_BODY = struct.Struct(">Q")
TAG_BYTES = 4


def _tag(org_id: str, body: bytes) -> bytes:
    return hashlib.sha256(org_id.encode() + body).digest()[:TAG_BYTES]


def replay_id_encode(seq: int, org_id: str) -> bytes:
    body = _BODY.pack(seq)
    return VERSION + body + _tag(org_id, body)


def replay_id_decode(raw: bytes, org_id: str) -> int | None:
    """The position, or None for bytes this org never issued."""
    if len(raw) != 1 + _BODY.size + TAG_BYTES or raw[:1] != VERSION:
        return None
    body, tag = raw[1:1 + _BODY.size], raw[1 + _BODY.size:]
    if tag != _tag(org_id, body):
        return None
    return _BODY.unpack(body)[0]
