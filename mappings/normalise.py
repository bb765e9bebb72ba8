"""The one e-mail normaliser and the one organisation-name normaliser.

Flows 1 and 8 (and the Order-to-Cash chain) must agree on when two records are the same
customer, and the duplicate-client check must call two records the same customer exactly when
a flow would match them: so there is one rule of each kind, here, where both the flows
(integrations) and the checks (monitoring) may import it — a matcher never brings its own.
"""
from __future__ import annotations

import re
import unicodedata

# Legal-form words that do not tell two organisations apart ("Acme Inc." is "ACME").
ORG_SUFFIXES = {"inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh",
                "ag", "sa", "sarl", "bv", "nv", "plc", "pty", "oy", "ab", "as", "srl", "spa", "the"}


def org_name_normalise(name: str | None) -> str:
    """Lower case, accents and punctuation removed, legal-form words dropped ("ACME Inc." → "acme")."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text.replace("&", " and ")) if w]
    kept = [w for w in words if w not in ORG_SUFFIXES]
    return " ".join(kept or words)  # a name made only of such words ("The Company") is kept whole


def email_normalise(email: str | None) -> str:
    return str(email or "").strip().lower()
