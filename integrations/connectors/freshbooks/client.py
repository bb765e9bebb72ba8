"""FreshBooksClient: authenticated JSON calls to one FreshBooks account, errors classified.

    client = FreshBooksClient(connection)
    client.clients.create({"organization": "Acme", "email": "ap@acme.example"})
    client.invoices.list(search={"customerid": 12, "updated_min": since}, include=["lines"])
    client.invoices.mark_as_sent(invoice_id)
    client.callbacks.register("invoice", uri)

Every call goes through HttpClient.request (timeouts, no redirects, one ApiCall row each).
The access token is refreshed ahead of expiry and on a 401 (single-flight per connection),
and the call retried on the fresh token a few times (base.auth_retried); only a refresh
FreshBooks refuses is an AuthError. Classification (API reference §2.8):
422/400 → FatalError naming the field; 409 (invoice-number
collision) / 429 (Retry-After) / 5xx / timeouts / connection errors → RetryableError.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

import requests
from django.utils import timezone

from integrations.connectors.base import (
    HttpClient,
    auth_retried,
    retry_after_seconds,
)
from integrations.connectors.freshbooks.errors import (
    problem_from_body,
    problem_from_response,
    problem_sentence,
)
from integrations.connectors.freshbooks.oauth import api_root
from integrations.connectors.freshbooks.tokens import freshbooks_token_refresh
from integrations.errors import FatalError, RetryableError
from integrations.models import Connection

REFRESH_AHEAD = timedelta(seconds=60)


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent to FreshBooks")


class FreshBooksClient(HttpClient):
    system = "freshbooks"

    def __init__(self, connection: Connection, *, session: requests.Session | None = None):
        super().__init__(connection, session=session)

    # -- resources (see resources.py and callbacks.py) ----------------------------------------
    @cached_property
    def clients(self):
        return self._resource("clients")

    @cached_property
    def invoices(self):
        return self._resource("invoices")

    @cached_property
    def payments(self):
        return self._resource("payments")

    @cached_property
    def expenses(self):
        return self._resource("expenses")

    @cached_property
    def expense_categories(self):
        return self._resource("expense_categories")

    @cached_property
    def items(self):
        return self._resource("items")

    @cached_property
    def taxes(self):
        return self._resource("taxes")

    @cached_property
    def credit_notes(self):
        return self._resource("credit_notes")

    @cached_property
    def callbacks(self):
        from integrations.connectors.freshbooks.callbacks import CallbacksApi

        return CallbacksApi(self)

    def _resource(self, name: str):
        from integrations.connectors.freshbooks.resources import resource_api

        return resource_api(self, name)

    # -- identity ----------------------------------------------------------------------------
    def identity(self) -> dict:
        """GET /auth/api/v1/users/me: the signed-in person and their business memberships."""
        body = self.call("GET", "auth/api/v1/users/me", operation="identity.get")
        return body.get("response") or {}

    @property
    def account_id(self) -> str:
        account_id = self.connection.settings.get("account_id")
        if not account_id:
            raise FatalError("The FreshBooks connection has no account chosen yet; use “Test connection” or reconnect.")
        return account_id

    # -- transport ---------------------------------------------------------------------------
    def base_url(self) -> str:
        return api_root(self.connection)

    def auth_headers(self) -> dict:
        token = self.connection.get_secret("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, *, operation: str, params=None, body: dict | None = None,
             record_count=None, ok: tuple[int, ...] = (200,)) -> dict:
        """One API call; returns the parsed JSON body ({} for 204). Raises classified errors."""
        kwargs = {"params": params}
        if body is not None:
            kwargs["data"] = json.dumps(body, default=_encode)
            kwargs["headers"] = {"Content-Type": "application/json"}
        self._refresh_if_expiring()
        used = {}

        def send():
            used["token"] = self.connection.get_secret("access_token")
            return self.request(method, path, operation=operation, record_count=record_count, ok=ok, **_copy(kwargs))

        # A 401 is retried on fresh tokens, each refresh shared with every worker that hit the same
        # 401; only a refresh FreshBooks refuses is an AuthError (reconnect).
        response = auth_retried(send, refresh=lambda: self._refresh(stale=used.get("token")), system_name="FreshBooks")
        return self._parsed(response)

    def _parsed(self, response: requests.Response) -> dict:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json(parse_float=str)  # never a float: exact decimal text
        except ValueError:
            raise RetryableError(f"FreshBooks answered {response.status_code} with a body that is not JSON; will retry.",
                                 http_status=response.status_code) from None
        problem = problem_from_body(body)
        if problem is not None:  # an error body with a 2xx status (seen in old accounting responses)
            raise FatalError(problem_sentence(problem, status=response.status_code), http_status=response.status_code,
                             field=problem.field, detail=body)
        return body

    def _refresh_if_expiring(self) -> None:
        expires = self.connection.token_expires_at
        if expires is not None and expires - REFRESH_AHEAD <= timezone.now():
            self._refresh(stale=self.connection.get_secret("access_token"))

    def _refresh(self, *, stale: str | None) -> None:
        freshbooks_token_refresh(connection=self.connection, stale_access_token=stale)

    # -- classification ----------------------------------------------------------------------
    def error_from_response(self, response: requests.Response) -> str:
        return problem_sentence(problem_from_response(response), status=response.status_code)

    def classify(self, response: requests.Response) -> Exception:
        status = response.status_code
        problem = problem_from_response(response)
        message = problem_sentence(problem, status=status)
        if status == 409:  # concurrent invoice numbering: "Retrying … will create an invoice successfully"
            return RetryableError(f"{message}; will retry.", http_status=status,
                                  retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        if status in (400, 404, 422):
            return FatalError(message, http_status=status, field=problem.field, detail={"errno": problem.errno})
        return super().classify(response)


def _copy(kwargs: dict) -> dict:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in kwargs.items()}
