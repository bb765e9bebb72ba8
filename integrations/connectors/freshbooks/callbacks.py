"""Webhook callbacks (the events API, /events/account/<account_id>/events/callbacks).

register → FreshBooks POSTs `callback.verify` with a verifier to the URI → verify(id,
verifier) → notifications start. The verifier is also the HMAC key of every delivery.
"""
from __future__ import annotations

from collections.abc import Iterator

from integrations.connectors.freshbooks.resources import (
    MAX_PER_PAGE,
    Page,
    iterate_pages,
    page_from,
)


class CallbacksApi:
    def __init__(self, client):
        self.client = client

    def _path(self, callback_id=None) -> str:
        base = f"events/account/{self.client.account_id}/events/callbacks"
        return f"{base}/{callback_id}" if callback_id is not None else base

    @staticmethod
    def _result(body: dict) -> dict:
        return ((body.get("response") or {}).get("result") or {}).get("callback") or {}

    def register(self, event: str, uri: str) -> dict:
        """Subscribe `uri` to `event` ("invoice.create", or a parent such as "invoice" for all)."""
        body = self.client.call("POST", self._path(), operation="callbacks.register",
                                body={"callback": {"event": event, "uri": uri}}, record_count=1)
        return self._result(body)

    def verify(self, callback_id, verifier: str) -> dict:
        body = self.client.call("PUT", self._path(callback_id), operation="callbacks.verify",
                                body={"callback": {"verifier": verifier}}, record_count=1)
        return self._result(body)

    def resend_verification(self, callback_id) -> dict:
        body = self.client.call("PUT", self._path(callback_id), operation="callbacks.resend",
                                body={"callback": {"resend": True}}, record_count=1)
        return self._result(body)

    def get(self, callback_id) -> dict:
        return self._result(self.client.call("GET", self._path(callback_id), operation="callbacks.get", record_count=1))

    def list(self, *, event: str | None = None, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page:
        params = ([("search[event]", event)] if event else []) + [("page", str(page)), ("per_page", str(per_page))]
        body = self.client.call("GET", self._path(), operation="callbacks.list", params=params,
                                record_count=lambda r: len(r.json()["response"]["result"]["callbacks"]))
        return page_from((body.get("response") or {}).get("result") or {}, "callbacks")

    def iterate(self, *, event: str | None = None) -> Iterator[dict]:
        return iterate_pages(lambda page, size: self.list(event=event, page=page, per_page=size), per_page=MAX_PER_PAGE)

    def delete(self, callback_id) -> None:
        self.client.call("DELETE", self._path(callback_id), operation="callbacks.delete", ok=(200, 204), record_count=1)
