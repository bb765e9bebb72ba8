"""Secrets at rest: Fernet (AES-CBC + HMAC, authenticated) with MultiFernet for rotation.

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated, newest first). Encryption always uses
the first key; decryption tries each. A wrong or missing key raises EncryptionKeyError that
names the variable — never returns ciphertext as if it were the secret (the footgun of
django-fernet-encrypted-fields).
"""
from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEYS_VARIABLE = "FIELD_ENCRYPTION_KEYS"

# Every (app_label, model, field) holding ciphertext; key rotation walks exactly these.
ENCRYPTED_FIELDS: list[tuple[str, str, str]] = [
    ("integrations", "Connection", "secrets_encrypted"),
    ("monitoring", "AlertRule", "webhook_url_encrypted"),
]


class EncryptionKeyError(ImproperlyConfigured):
    pass


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise EncryptionKeyError(
            f"{KEYS_VARIABLE} is not set: secrets cannot be encrypted or read. "
            "`make run` generates one into .env; in production set it in the environment."
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.strip().encode()))
        except (ValueError, TypeError) as exc:
            raise EncryptionKeyError(
                f"{KEYS_VARIABLE} key #{position} is not a valid Fernet key (32 url-safe base64 bytes): {exc}"
            ) from None
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _multifernet(tuple(k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()))


def secret_encrypt(values: dict) -> str:
    if not values:
        return ""
    return fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def secret_decrypt(token: str) -> dict:
    if not token:
        return {}
    try:
        plain = fernet().decrypt(token.encode())
    except InvalidToken:
        raise EncryptionKeyError(
            f"Stored secrets cannot be decrypted with the keys in {KEYS_VARIABLE}: the key is wrong, "
            "or the key they were written with was removed. Put the old key back (after the new one) "
            "and run `manage.py encryption_rotate`."
        ) from None
    return json.loads(plain)


def secret_rotate(token: str) -> str:
    """Re-encrypt with the newest key (raises EncryptionKeyError if no key opens it)."""
    if not token:
        return token
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyError(
            f"A stored secret cannot be decrypted with any key in {KEYS_VARIABLE}; nothing was changed."
        ) from None
