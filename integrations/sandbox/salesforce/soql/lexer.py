"""SOQL tokens. Errors carry the real MALFORMED_QUERY text with the row/column pointer."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import SfApiError

KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "NULLS",
            "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL", "INCLUDES", "EXCLUDES"}
# \_ and \% are literal only inside LIKE patterns: they become private-use marks the
# executor reads as literal characters in LIKE and as plain _ / % elsewhere.
LITERAL_UNDERSCORE, LITERAL_PERCENT = "\ue000", "\ue001"
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\",
           "_": LITERAL_UNDERSCORE, "%": LITERAL_PERCENT}
TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),.:])
  | (?P<string>')
""", re.X)


@dataclass
class Token:
    kind: str  # ident keyword number string date datetime op punct end
    value: object
    pos: int
    text: str

    def is_kw(self, *words: str) -> bool:
        return self.kind == "keyword" and self.value in words


class SoqlError(SfApiError):
    pass


def malformed(query: str, pos: int, message: str) -> SoqlError:
    return SoqlError(400, "MALFORMED_QUERY", _pointer(query, pos) + message)


def unsupported(query: str, pos: int, what: str) -> SoqlError:
    """Valid SOQL the simulated org cannot run. The real API answers a valid construct an org
    cannot use with FUNCTIONALITY_NOT_ENABLED (e.g. "Selecting compound data not supported in
    Bulk Query"); the code is a setting because no public source names it for every construct."""
    from django.conf import settings

    code = getattr(settings, "SANDBOX_SALESFORCE_UNSUPPORTED_SOQL_CODE", "FUNCTIONALITY_NOT_ENABLED")
    return SoqlError(400, code, _pointer(query, pos) + f"{what} is not supported by this org")


def _pointer(query: str, pos: int) -> str:
    line_start = query.rfind("\n", 0, pos) + 1
    row = query.count("\n", 0, pos) + 1
    column = pos - line_start + 1
    line = query[line_start:].split("\n", 1)[0]
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n"


def pointer_error(query: str, pos: int, code: str, message: str) -> SoqlError:
    return SoqlError(400, code, _pointer(query, pos) + message)


def tokenize(query: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(query):
        match = TOKEN_RE.match(query, pos)
        if not match:
            raise malformed(query, pos, f"unexpected token: {query[pos]}")
        kind = match.lastgroup
        if kind == "string":
            value, end = _string(query, pos)
            tokens.append(Token("string", value, pos, query[pos:end]))
            pos = end
            continue
        text = match.group()
        if kind == "ident" and text.upper() in KEYWORDS:
            tokens.append(Token("keyword", text.upper(), pos, text))
        elif kind != "ws":
            tokens.append(Token(kind, text, pos, text))
        pos = match.end()
    tokens.append(Token("end", None, len(query), ""))
    return tokens


def _string(query: str, start: int) -> tuple[str, int]:
    out, pos = [], start + 1
    while pos < len(query):
        char = query[pos]
        if char == "\\":
            nxt = query[pos + 1:pos + 2]
            if nxt not in ESCAPES:
                raise malformed(query, pos, f"Invalid string literal '{query[start:pos + 2]}'. Illegal escape sequence.")
            out.append(ESCAPES[nxt])
            pos += 2
        elif char == "'":
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise malformed(query, start, "unexpected token: unterminated string literal")
