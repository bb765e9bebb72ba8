"""Which flow settings never leave this environment in a configuration export, and putting them
back on import.

A setting is held back when its key names a secret (password, token, api_key, client_secret,
private_key, signature…) or its value carries credentials: a URL with user:password@, or with a
token/key/secret/signature query parameter (a pre-signed link), or a webhook URL (the URL is the key).
Nested dicts and lists are walked; a setting is named by its path ("alerts.webhook_url"; a list holding
one goes as a whole). The import keeps the target's own values at those paths.
"""
from __future__ import annotations

import copy
import re
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY_NAME = re.compile(
    r"secret|passw(or)?d|passwd|passphrase|token|private|api[_-]?key|access[_-]?key|credential|signature|"
    r"signing|authori[sz]ation|bearer|cookie|session[_-]?id|^(key|pass|pwd|sig|auth)$",
    re.I)
SECRET_QUERY_NAME = re.compile(
    r"token|key|secret|sig|signature|passw(or)?d|passwd|pwd|auth|credential|session", re.I)
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
# A chat or callback webhook URL is itself the credential (Slack, Teams: the secret is the path).
CAPABILITY_URL_KEY = re.compile(r"webhook|hook[_-]?url|callback[_-]?url", re.I)


def _url_with_credentials(value: str) -> bool:
    if not URL.match(value.strip()):
        return False
    try:
        parts = urlsplit(value.strip())
        has_userinfo = parts.username is not None or parts.password is not None
    except ValueError:  # a malformed URL (bad port, brackets): not ours to judge, so not exported
        return True
    query = parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(parts.fragment, keep_blank_values=True)
    return has_userinfo or any(SECRET_QUERY_NAME.search(name) for name, _ in query)


def _value_secret(value) -> bool:
    if isinstance(value, str):
        return _url_with_credentials(value)
    if isinstance(value, list):  # a list holding a credential anywhere goes as a whole
        return any(_value_secret(item) or (isinstance(item, dict) and _walk(item, ())[1]) for item in value)
    return False


def _capability_url(key, value) -> bool:
    return bool(CAPABILITY_URL_KEY.search(str(key))) and isinstance(value, str) and bool(URL.match(value.strip()))


def _walk(settings: dict, prefix: tuple) -> tuple[dict, list[tuple]]:
    kept: dict = {}
    dropped: list[tuple] = []
    for key, value in settings.items():
        path = (*prefix, key)
        if SECRET_KEY_NAME.search(str(key)) or _value_secret(value) or _capability_url(key, value):
            dropped.append(path)
        elif isinstance(value, dict):
            kept[key], inner = _walk(value, path)
            dropped += inner
        else:
            kept[key] = value
    return kept, dropped


def settings_split(settings: dict) -> tuple[dict, list[str]]:
    """(the settings safe to export, the dotted paths of those held back). Never a held-back value."""
    kept, dropped = _walk(settings or {}, ())
    return kept, [".".join(map(str, path)) for path in dropped]


def settings_restore(imported: dict, *, existing: dict) -> dict:
    """The imported settings with the target's held-back values put back at their paths (the file
    cannot carry them; the target's own value wins over one a hand-edited file might have)."""
    merged = copy.deepcopy(imported or {})
    for path in _walk(existing or {}, ())[1]:
        node, value = merged, existing
        for key in path[:-1]:
            value = value[key]
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = copy.deepcopy(value[path[-1]])
    return merged
