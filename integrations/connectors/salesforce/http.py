"""The HTTP layer under simple-salesforce: every request simple-salesforce makes goes
through the shared HttpClient (timeouts, no redirects, ApiCall logging) via a session
facade, carries ``Sforce-Call-Options: client=<our id>`` for echo suppression, updates the
connection's API usage, and fails with classified engine errors."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from integrations.connectors.base import HttpClient
from integrations.connectors.salesforce.errors import (
    MultipleMatches,
    error_classify,
    errors_from_body,
)
from integrations.connectors.salesforce.limits import connection_usage_record
from integrations.connectors.salesforce.transport import session_for

DATA_PATH = re.compile(r"/services/data/v[\d.]+/(?P<rest>.*)$")


def operation_name(method: str, url: str) -> str:
    """A short name for the API-call log: query, Account.create, collections.update, …"""
    path = urlsplit(url).path
    match = DATA_PATH.search(path)
    if not match:
        return "oauth." + path.rstrip("/").rsplit("/", 1)[-1] if "/oauth2/" in path else "identity"
    parts = [p for p in match["rest"].split("/") if p]
    method = method.upper()
    if not parts:
        return "resources"
    if parts[0] in ("query", "queryAll"):
        return parts[0] + (".more" if len(parts) > 1 else "")
    if parts[0] == "composite":
        if len(parts) == 1:
            return "composite"
        verb = {"POST": "create", "PATCH": "update", "DELETE": "delete", "GET": "retrieve"}[method]
        return "collections." + ("upsert" if len(parts) == 4 else verb)
    if parts[0] == "tooling" and len(parts) >= 2:  # tooling.query, tooling.CustomField.create
        return "tooling." + (parts[1] if parts[1] == "query" else f"{parts[-1]}.create")
    if parts[0] == "sobjects" and len(parts) >= 2:
        obj = parts[1]
        if len(parts) == 2:
            return f"{obj}.create" if method == "POST" else f"{obj}.info"
        if parts[2] in ("describe", "updated", "deleted"):
            return f"{obj}.{parts[2]}"
        verb = {"GET": "get", "PATCH": "update", "DELETE": "delete"}.get(method, method.lower())
        return f"{obj}.{'upsert' if len(parts) == 4 and method == 'PATCH' else verb}"
    return parts[0]


def _count(response: requests.Response) -> int:
    if response.status_code == 204 or not response.content:
        return 1
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("records"), list):
        return len(body["records"])
    return len(body) if isinstance(body, list) else 1


def _what(operation: str) -> str:
    obj, _, verb = operation.partition(".")
    return f"{obj} {verb}" if verb else operation


class SalesforceHttp(HttpClient):
    system = "salesforce"

    def __init__(self, connection, *, call_options_client: str):
        instance = connection.settings.get("instance_url") or connection.base_url
        super().__init__(connection, session=session_for(instance, simulator=connection.is_sandbox))
        self.call_options_client = call_options_client

    def auth_headers(self) -> dict:
        return {"Sforce-Call-Options": f"client={self.call_options_client}"}

    def after_response(self, response: requests.Response) -> None:
        header = response.headers.get("Sforce-Limit-Info")
        if header:
            connection_usage_record(connection=self.connection, header=header)

    def classify(self, response: requests.Response) -> Exception:
        status = response.status_code
        operation = operation_name(response.request.method, response.request.url)
        if status == 300:
            return MultipleMatches(f"Several Salesforce records match the {_what(operation)}: "
                                   f"{', '.join(str(u).rsplit('/', 1)[-1] for u in response.json())}",
                                   http_status=status)
        try:
            errors = errors_from_body(response.json())
        except ValueError:
            errors = []
        if errors and status < 500:
            return error_classify(errors[0], what=_what(operation), http_status=status)
        return super().classify(response)


class LoggedSession(requests.Session):
    """What simple-salesforce is given as its ``session``: it delegates to SalesforceHttp."""

    def __init__(self, http: SalesforceHttp):
        super().__init__()
        self.http = http

    def request(self, method, url, **kwargs):
        kwargs.pop("allow_redirects", None)  # never followed (HttpClient decides)
        return self.http.request(method, url, operation=operation_name(method, url), record_count=_count, **kwargs)
