"""Accounting resources: get, list (one page or every page), create, update, delete.

Paths, body keys and delete styles are the API reference's table (§2.2). Lists take
`search` as a dict: {"email": "a@b.c"} → search[email]; {"clientids": [1, 2]} →
search[clientids][]; {"updated_min": aware datetime or date} → search[updated_min]=YYYY-MM-DD
(US/Eastern day); "_like", "_min", "_max" suffixes pass through. `include` adds include[]
keys, `sort` is "<field>_asc" / "<field>_desc".
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from integrations.connectors.freshbooks.values import search_day

MAX_PER_PAGE = 100  # FreshBooks silently caps per_page at 100


@dataclass(frozen=True)
class ResourceSpec:
    path: str  # under /accounting/account/<account_id>/
    single: str
    plural: str
    delete: str | None  # "update" (PUT vis_state=1) | "http" (HTTP DELETE) | None (read-only)
    default_include: tuple[str, ...] = ()


RESOURCES: dict[str, ResourceSpec] = {
    "clients": ResourceSpec("users/clients", "client", "clients", "update"),
    # The official Python SDK deletes invoices with HTTP DELETE, the Node SDK with PUT
    # vis_state=1; connection.settings["invoice_delete"] = "update" switches.
    "invoices": ResourceSpec("invoices/invoices", "invoice", "invoices", "http", default_include=("lines",)),
    "payments": ResourceSpec("payments/payments", "payment", "payments", "update"),
    "expenses": ResourceSpec("expenses/expenses", "expense", "expenses", "update"),
    "expense_categories": ResourceSpec("expenses/categories", "category", "categories", None),
    "items": ResourceSpec("items/items", "item", "items", "update"),
    "taxes": ResourceSpec("taxes/taxes", "tax", "taxes", "http"),
    # Path and keys as the API reference lists them (§2.2); the create body is not documented
    # there: Ledgerlink sends clientid, create_date, currency_code, description, notes and lines.
    "credit_notes": ResourceSpec("credit_notes/credit_notes", "credit_note", "credit_notes", None),
}


@dataclass
class Page:
    items: list[dict]
    page: int
    pages: int
    per_page: int
    total: int
    extra: dict = field(default_factory=dict)


def search_params(search: dict | None) -> list[tuple[str, str]]:
    params = []
    for name, value in (search or {}).items():
        if isinstance(value, (list, tuple, set)):
            params += [(f"search[{name}][]", _text(v)) for v in value]
        else:
            params.append((f"search[{name}]", _text(value)))
    return params


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return search_day(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def list_params(*, search=None, include=(), sort: str | None = None, page: int = 1,
                per_page: int = MAX_PER_PAGE) -> list[tuple[str, str]]:
    params = search_params(search) + [("include[]", key) for key in include]
    if sort:
        params.append(("sort", sort))
    return params + [("page", str(page)), ("per_page", str(min(per_page, MAX_PER_PAGE)))]


def page_from(result: dict, plural: str) -> Page:
    return Page(items=list(result.get(plural) or []), page=int(result.get("page") or 1),
                pages=int(result.get("pages") or 0), per_page=int(result.get("per_page") or 0),
                total=int(result.get("total") or 0))


def iterate_pages(fetch, *, per_page: int) -> Iterator[dict]:
    """Every item of every page; stops at the last page (or an empty one)."""
    page = 1
    while True:
        current = fetch(page, per_page)
        yield from current.items
        if not current.items or current.page >= current.pages:
            return
        page += 1


class ResourceApi:
    """One accounting resource of the client's account. Methods return plain dicts."""

    def __init__(self, client, spec: ResourceSpec, name: str):
        self.client, self.spec, self.name = client, spec, name

    def _path(self, object_id=None) -> str:
        base = f"accounting/account/{self.client.account_id}/{self.spec.path}"
        return f"{base}/{object_id}" if object_id is not None else base

    def _include(self, include) -> list[tuple[str, str]]:
        keys = self.spec.default_include if include is None else include
        return [("include[]", key) for key in keys]

    def _result(self, body: dict) -> dict:
        return ((body.get("response") or {}).get("result") or {}).get(self.spec.single) or {}

    def get(self, object_id, *, include=None) -> dict:
        """The record with this id (deleted ones too: check vis_state)."""
        body = self.client.call("GET", self._path(object_id), operation=f"{self.name}.get",
                                params=self._include(include), record_count=1)
        return self._result(body)

    def list(self, *, search: dict | None = None, include=None, sort: str | None = None, page: int = 1,
             per_page: int = MAX_PER_PAGE) -> Page:
        """One page. Deleted records are left out unless search={"vis_state": 1}."""
        keys = self.spec.default_include if include is None else include
        params = list_params(search=search, include=keys, sort=sort, page=page, per_page=per_page)
        plural = self.spec.plural
        body = self.client.call("GET", self._path(), operation=f"{self.name}.list", params=params,
                                record_count=lambda r: len(r.json()["response"]["result"][plural]))
        return page_from((body.get("response") or {}).get("result") or {}, plural)

    def iterate(self, *, search: dict | None = None, include=None, sort: str | None = None,
                per_page: int = MAX_PER_PAGE) -> Iterator[dict]:
        """Every matching record across all pages."""
        return iterate_pages(lambda page, size: self.list(search=search, include=include, sort=sort, page=page,
                                                          per_page=size), per_page=per_page)

    def create(self, data: dict, *, include=None) -> dict:
        body = self.client.call("POST", self._path(), operation=f"{self.name}.create", params=self._include(include),
                                body={self.spec.single: data}, record_count=1)
        return self._result(body)

    def update(self, object_id, data: dict, *, include=None) -> dict:
        """Change fields. A body with vis_state or an action applies only that (FreshBooks' update phases)."""
        body = self.client.call("PUT", self._path(object_id), operation=f"{self.name}.update",
                                params=self._include(include), body={self.spec.single: data}, record_count=1)
        return self._result(body)

    def delete(self, object_id) -> dict:
        """Delete as FreshBooks documents for this resource; returns the deleted record when given."""
        style = self.spec.delete
        if self.name == "invoices":
            style = self.client.connection.settings.get("invoice_delete", style)
        if style is None:
            raise NotImplementedError(f"FreshBooks {self.name} cannot be deleted through the API")
        if style == "update":
            return self.update(object_id, {"vis_state": 1}, include=())
        body = self.client.call("DELETE", self._path(object_id), operation=f"{self.name}.delete", record_count=1)
        return self._result(body)


class InvoicesApi(ResourceApi):
    def mark_as_sent(self, invoice_id) -> dict:
        """Draft (status 1) → sent (status 2) without emailing anyone."""
        return self.update(invoice_id, {"action_mark_as_sent": True})

    def send_email(self, invoice_id, *, recipients: list[str], subject: str = "", body: str = "",
                   include_pdf: bool = False) -> dict:
        """Email the invoice to `recipients` (marks it sent)."""
        data = {"action_email": True, "email_recipients": recipients, "email_include_pdf": include_pdf}
        if subject or body:
            data["invoice_customized_email"] = {"subject": subject, "body": body}
        return self.update(invoice_id, data)


def resource_api(client, name: str) -> ResourceApi:
    cls = InvoicesApi if name == "invoices" else ResourceApi
    return cls(client, RESOURCES[name], name)
