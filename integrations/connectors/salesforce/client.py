"""SalesforceClient: simple-salesforce bound to a Connection.

simple-salesforce does the REST work; the session under it is the shared HttpClient (see
http.py). A session given as ``session_id`` is never refreshed by simple-salesforce, so
every call here goes through ``_call``: on 401 INVALID_SESSION_ID it gets a new token
(single-flight per connection), rebuilds the client and retries, a few times if need be
(connectors/base.py auth_retried). Returns plain data.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from simple_salesforce import Salesforce

from integrations.connectors.base import auth_retried
from integrations.connectors.salesforce.errors import RecordNotFound, SessionExpired
from integrations.connectors.salesforce.http import LoggedSession, SalesforceHttp
from integrations.connectors.salesforce.limits import budget_check
from integrations.connectors.salesforce.replication import (
    ReplicationResult,
    replication_read,
)
from integrations.connectors.salesforce.tokens import session_refresh
from integrations.errors import AuthError, FatalError
from integrations.models import Connection


@dataclass
class UpsertResult:
    id: str
    created: bool
    status: int


def call_options_client(connection: Connection) -> str:
    return connection.settings.get("call_options_client") or f"{settings.SALESFORCE_CALL_OPTIONS_CLIENT}-{connection.pk}"


class SalesforceClient:
    def __init__(self, connection: Connection, *, urgent: bool = False):
        self.connection, self.urgent = connection, urgent
        self.client_tag = call_options_client(connection)
        self.http = SalesforceHttp(connection, call_options_client=self.client_tag)
        self._sf: Salesforce | None = None

    @property
    def api_version(self) -> str:
        return str(self.connection.settings.get("api_version") or settings.SALESFORCE_API_VERSION)

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            token = self.connection.get_secret("access_token")
            if not token:
                raise AuthError("Salesforce is not connected (no access token): use Connect Salesforce.")
            instance = self.connection.settings.get("instance_url") or self.connection.base_url
            self._sf = Salesforce(instance_url=instance, session_id=token, version=self.api_version,
                                  session=LoggedSession(self.http))
            self._sf_token = token  # the session a 401 refused, for the single-flight refresh
        return self._sf

    def _call(self, fn: Callable[[Salesforce], object]):
        if not self.urgent:
            budget_check(connection=self.connection)
        # 401 INVALID_SESSION_ID is retried on fresh sessions (base.auth_retried); only a refresh
        # Salesforce refuses is an AuthError (reconnect).
        return auth_retried(lambda: fn(self.sf), refresh=self.session_refresh, system_name="Salesforce",
                            retry_if=lambda exc: isinstance(exc, SessionExpired))

    def session_refresh(self) -> None:
        stale = getattr(self, "_sf_token", None) or self.connection.get_secret("access_token")
        session_refresh(connection=self.connection, stale_access_token=stale)
        self._sf = None

    def _type(self, sf: Salesforce, sobject: str):
        return getattr(sf, sobject)

    # -- queries --------------------------------------------------------------------------------
    def query(self, soql: str, *, include_deleted: bool = False) -> dict:
        return self._call(lambda sf: sf.query(soql, include_deleted=include_deleted))

    def query_more(self, next_records_url: str) -> dict:
        return self._call(lambda sf: sf.query_more(next_records_url, identifier_is_url=True))

    def query_all_iter(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict]:
        """Every record, page by page (a refresh mid-way resumes from the same page)."""
        page = self.query(soql, include_deleted=include_deleted)
        while True:
            yield from page["records"]
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.query_more(page["nextRecordsUrl"])

    def query_all(self, soql: str, *, include_deleted: bool = False) -> list[dict]:
        return list(self.query_all_iter(soql, include_deleted=include_deleted))

    def children(self, record: dict, relationship: str) -> list[dict]:
        """All child records of a parent-to-child subquery, following the child set's paging."""
        result = record.get(relationship)
        if not result:
            return []
        rows = list(result["records"])
        while not result.get("done", True) and result.get("nextRecordsUrl"):
            result = self.query_more(result["nextRecordsUrl"])
            rows += result["records"]
        return rows

    # -- single records ---------------------------------------------------------------------------
    def get(self, sobject: str, record_id: str, *, fields: list[str] | None = None) -> dict:
        params = {"fields": ",".join(fields)} if fields else None
        return self._call(lambda sf: sf.restful(f"sobjects/{sobject}/{record_id}", params=params))

    def get_by_external_id(self, sobject: str, field: str, value: str) -> dict | None:
        try:
            return self._call(lambda sf: sf.restful(f"sobjects/{sobject}/{field}/{quote(str(value), safe='')}"))
        except RecordNotFound:
            return None

    def create(self, sobject: str, data: dict) -> str:
        return self._call(lambda sf: self._type(sf, sobject).create(data))["id"]

    def update(self, sobject: str, record_id: str, data: dict) -> None:
        self._call(lambda sf: self._type(sf, sobject).update(record_id, data))

    def delete(self, sobject: str, record_id: str) -> None:
        self._call(lambda sf: self._type(sf, sobject).delete(record_id))

    def upsert(self, sobject: str, field: str, value: str, data: dict) -> UpsertResult:
        """Upsert by external id: 201 created, 200 updated (API ≥ 46.0) or 204 (older)."""
        path = f"{field}/{quote(str(value), safe='')}"
        response = self._call(lambda sf: self._type(sf, sobject).upsert(path, data, raw_response=True))
        if response.status_code == 204:  # no body before v46.0: read the id back
            record = self.get_by_external_id(sobject, field, value) or {}
            return UpsertResult(id=record.get("Id", ""), created=False, status=204)
        body = response.json()
        return UpsertResult(id=body["id"], created=bool(body.get("created", response.status_code == 201)),
                            status=response.status_code)

    # -- change detection and org info --------------------------------------------------------------
    def updated(self, sobject: str, start: datetime, end: datetime) -> ReplicationResult:
        """getUpdated: ids changed in [start, end) and latestDateCovered (the next start)."""
        return replication_read(lambda s, e: self._call(lambda sf: self._type(sf, sobject).updated(s, e)),
                                kind="updated", sobject=sobject, start=start, end=end)

    def deleted(self, sobject: str, start: datetime, end: datetime) -> ReplicationResult:
        """getDeleted: ids deleted in [start, end) with their deletedDate, and latestDateCovered
        (the next start); ReplicationGap when part of the window can no longer be read."""
        return replication_read(lambda s, e: self._call(lambda sf: self._type(sf, sobject).deleted(s, e)),
                                kind="deleted", sobject=sobject, start=start, end=end)

    def describe(self, sobject: str) -> dict:
        return self._call(lambda sf: self._type(sf, sobject).describe())

    def limits(self) -> dict:
        return self._call(lambda sf: sf.limits())

    def identity(self) -> dict:
        url = self.connection.settings.get("identity_url")
        if not url:
            raise AuthError("Salesforce identity URL unknown: reconnect Salesforce.")

        def fetch(sf: Salesforce) -> dict:
            headers = {"Authorization": f"Bearer {sf.session_id}"}
            try:
                return self.http.request("GET", url, operation="identity", headers=headers, ok=(200,)).json()
            except FatalError as exc:
                if exc.http_status == 403:  # the identity URL answers 403 Bad_OAuth_Token for a dead session
                    raise SessionExpired("The Salesforce session expired or was revoked.", http_status=403) from None
                raise
        return self._call(fetch)

    # -- Tooling API (Prepare Salesforce) ------------------------------------------------------------
    def tooling_query(self, soql: str) -> list[dict]:
        return self._call(lambda sf: sf.restful("tooling/query/", params={"q": soql}))["records"]

    def tooling_create(self, sobject: str, data: dict) -> str:
        return self._call(lambda sf: sf.restful(f"tooling/sobjects/{sobject}/", method="POST",
                                                data=json.dumps(data)))["id"]

    def restful(self, path: str, *, method: str = "GET", **kwargs):
        return self._call(lambda sf: sf.restful(path, method=method, **kwargs))


def salesforce_client(connection: Connection, *, urgent: bool = False) -> SalesforceClient:
    return SalesforceClient(connection, urgent=urgent)
