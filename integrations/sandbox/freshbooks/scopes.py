"""OAuth scopes as FreshBooks checks them (API reference §1.6): the scopes that exist, the
ones an app registration enables, and the scope each API call needs.

Format ``user:<object>:<read|write>``; ``profile``, ``notifications`` and ``reports`` have no
``:write`` (asking for one rejects the whole consent with invalid_scope); ``user:profile:read``
is granted to every app. Two needs are not confirmed by any source and are account options
(models.OPTION_DEFAULTS): the scope object of items (``billable_items`` is an inference) and
whether registering a webhook callback needs the read scope of the event's object.
"""
from __future__ import annotations

OBJECTS = ("bill_payments", "bill_vendors", "billable_items", "bills", "business", "clients", "credit_notes",
           "estimates", "expenses", "invoices", "journal_entries", "notifications", "online_payments", "other_income",
           "payments", "profile", "projects", "reports", "retainers", "taxes", "teams", "time_entries")
READ_ONLY = {"profile", "notifications", "reports"}
KNOWN_SCOPES = frozenset({f"user:{o}:read" for o in OBJECTS} | {f"user:{o}:write" for o in OBJECTS if o not in READ_ONLY})
ALWAYS_GRANTED = "user:profile:read"
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed"

# Accounting path (section/collection) → the scope object it needs (items: account option).
PATH_OBJECTS = {"users/clients": "clients", "invoices/invoices": "invoices", "payments/payments": "payments",
                "expenses/expenses": "expenses", "expenses/categories": "expenses", "taxes/taxes": "taxes",
                "credit_notes/credit_notes": "credit_notes"}
# Webhook event object → scope object (events of objects not listed need nothing).
EVENT_OBJECTS = {"client": "clients", "invoice": "invoices", "payment": "payments", "expense": "expenses",
                 "category": "expenses", "tax": "taxes", "credit_note": "credit_notes", "estimate": "estimates",
                 "bill": "bills", "bill_vendor": "bill_vendors", "project": "projects", "time_entry": "time_entries",
                 "recurring": "invoices"}


def scopes_parse(text: str) -> list[str]:
    return [s for s in (text or "").replace(",", " ").split() if s]


def scopes_granted(token_scope: str) -> set[str]:
    return set(scopes_parse(token_scope)) | {ALWAYS_GRANTED}


def scope_for_path(path: str, method: str, *, items_object: str) -> str | None:
    obj = items_object if path == "items/items" else PATH_OBJECTS.get(path)
    if obj is None:
        return None
    return f"user:{obj}:{'read' if method in ('GET', 'HEAD') else 'write'}"


def scope_for_event(event: str) -> str | None:
    obj = EVENT_OBJECTS.get(event.split(".")[0])
    return f"user:{obj}:read" if obj else None
