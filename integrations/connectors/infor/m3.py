"""M3 MI REST v2 through the ION API Gateway: single GET and bulk POST, BulkResponse parsing.

    GET  {iu}/{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}?FIELD=…&cono=…&maxrecs=…
    POST {iu}/{ti}/M3/m3api-rest/v2/execute  {"program", "transactions": [{"transaction", "record"}]}

Errors are classified here, once: gateway 401 → retried on fresh tokens (base.auth_retried;
only a refused refresh is an AuthError); 429/5xx/timeouts → RetryableError (Retry-After
honoured); a NOK result inside a 200 → M3BusinessError (a FatalError) naming the program, transaction, M3 field and message.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import requests
from django.utils import timezone

from integrations.connectors.base import (
    HttpClient,
    auth_retried,
    connection_token_refresh,
)
from integrations.connectors.infor.ionapi import ionapi_credentials, ionapi_token_fetch
from integrations.errors import FatalError
from integrations.models import Connection

EXECUTE_PATH = "M3/m3api-rest/v2/execute"
CONTROL = ("cono", "divi", "maxrecs", "returncols", "dateformat", "excludeempty", "righttrim")
# Refresh a little before expiry so a call never leaves with a token that dies in flight.
EXPIRY_MARGIN = timedelta(seconds=60)


class M3BusinessError(FatalError):
    """M3 answered NOK for one transaction: the data must be fixed (or it was already done)."""

    def __init__(self, message: str, *, code: str = "", m3_field: str = "", error_type: str = "", **kwargs):
        super().__init__(message, field=m3_field, **kwargs)
        self.code, self.m3_field, self.error_type = code, m3_field, error_type


@dataclass
class MIResult:
    transaction: str
    records: list[dict] = field(default_factory=list)
    error_message: str = ""
    error_code: str = ""
    error_field: str = ""
    error_type: str = ""
    not_processed: bool = False

    @property
    def ok(self) -> bool:
        return not (self.error_type or self.error_message or self.not_processed)

    def error(self, program: str, record: dict | None = None) -> M3BusinessError:
        if self.not_processed:
            text = "was not processed because the bulk request stopped early"
        else:
            text = self.error_message.strip() or self.error_type or "failed without a message"
        parts = [f"field {self.error_field.strip()}"] if self.error_field.strip() else []
        parts += [f"M3 message {self.error_code.strip()}"] if self.error_code.strip() else []
        where = f" ({', '.join(parts)})" if parts else ""
        return M3BusinessError(
            f"Infor M3 rejected {program}/{self.transaction}: {text}{where}.",
            code=self.error_code.strip(), m3_field=self.error_field.strip(), error_type=self.error_type,
            detail={"program": program, "transaction": self.transaction, "record": record or {}},
        )


@dataclass
class BulkResult:
    results: list[MIResult]
    successful: int = 0
    failed: int = 0
    not_processed: int = 0
    was_terminated: bool = False
    termination_reason: str = ""
    termination_error_type: str = ""

    @property
    def ok(self) -> bool:
        return not self.was_terminated and all(r.ok for r in self.results)


def _truthy(value) -> bool:
    """wasTerminated is a boolean in the Swagger and the string "false" in recorded answers."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def bulk_response_parse(data) -> BulkResult:
    if not isinstance(data, dict) or not isinstance(data.get("results", []), list):
        raise FatalError("Infor M3 answered with something that is not an MI BulkResponse.")
    results = []
    for raw in data.get("results") or []:
        raw = raw if isinstance(raw, dict) else {}
        results.append(MIResult(
            transaction=str(raw.get("transaction") or ""),
            records=[r for r in raw.get("records") or [] if isinstance(r, dict)],
            error_message=str(raw.get("errorMessage") or ""), error_code=str(raw.get("errorCode") or ""),
            error_field=str(raw.get("errorField") or ""), error_type=str(raw.get("errorType") or ""),
            not_processed=_truthy(raw.get("notProcessed", False)),
        ))
    return BulkResult(
        results=results, successful=int(data.get("nrOfSuccessfullTransactions") or 0),
        failed=int(data.get("nrOfFailedTransactions") or 0),
        not_processed=int(data.get("nrOfNotProcessedTransactions") or 0),
        was_terminated=_truthy(data.get("wasTerminated", False)),
        termination_reason=str(data.get("terminationReason") or ""),
        termination_error_type=str(data.get("terminationErrorType") or ""),
    )


def m3_value(value) -> str | None:
    """Python → M3 input string: YYYYMMDD dates, plain decimals, no None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def m3_date(value: str) -> date | None:
    """M3 output date (YYYYMMDD) → date; blank or zero dates → None."""
    try:
        return datetime.strptime((value or "").strip(), "%Y%m%d").date()
    except ValueError:
        return None


def m3_decimal(value: str) -> Decimal:
    try:
        return Decimal((value or "0").strip() or "0")
    except InvalidOperation:
        raise FatalError(f"Infor M3 returned '{value}' where an amount was expected.") from None


def m3_record(record: dict | None) -> dict[str, str]:
    return {k: v for k, v in ((k, m3_value(v)) for k, v in (record or {}).items()) if v is not None}


class M3Client(HttpClient):
    system = "infor"

    def __init__(self, connection: Connection, *, session: requests.Session | None = None):
        super().__init__(connection, session=session)
        self.creds = ionapi_credentials(connection)
        self._token: str | None = None
        self._signed_in = False

    def base_url(self) -> str:
        return self.connection.base_url or self.creds.api_root

    # -- tokens ------------------------------------------------------------------------------
    def _valid_token(self) -> str:
        token = self.connection.get_secret("access_token")
        expires = self.connection.token_expires_at
        if not token or (expires is not None and expires - EXPIRY_MARGIN <= timezone.now()):
            connection_token_refresh(connection=self.connection, stale_access_token=token, refresh=ionapi_token_fetch)
            token = self.connection.get_secret("access_token")
        return token

    def auth_headers(self) -> dict:
        self._token, self._signed_in = None, False
        self._token = self._valid_token()  # an AuthError here is the sign-in itself failing
        self._signed_in = True
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        """One call; a 401 (token expired or revoked early) is retried on fresh tokens (auth_retried)."""
        return auth_retried(
            lambda: self.request(method, path, **kwargs), system_name="Infor ION API",
            refresh=lambda: connection_token_refresh(connection=self.connection, stale_access_token=self._token,
                                                     refresh=ionapi_token_fetch),
            # no token could be had at all: refreshing again would only repeat the refusal
            retry_if=lambda exc: self._signed_in)

    def error_from_response(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = ""
        if isinstance(body, dict):
            detail = body.get("terminationReason") or body.get("error_description") or body.get("error") or ""
        detail = str(detail or (response.text or "")[:200] or response.reason)
        if response.status_code == 401:
            return f"Infor ION API refused the access token ({detail})."
        if response.status_code == 429:
            return "Infor ION API is rate limiting Ledgerlink (429); will retry."
        if response.status_code >= 500:
            return f"Infor ION API is unavailable ({response.status_code}: {detail}); will retry."
        return f"Infor M3 refused the request ({response.status_code}): {detail}"

    # -- MI calls ----------------------------------------------------------------------------
    def _control(self, overrides: dict) -> dict[str, str]:
        defaults = {"cono": self.connection.settings.get("m3_cono"), "divi": self.connection.settings.get("m3_divi"),
                    "dateformat": "YMD8"}
        merged = {**defaults, **{k: v for k, v in overrides.items() if k in CONTROL}}
        if isinstance(merged.get("returncols"), (list, tuple)):
            merged["returncols"] = ",".join(merged["returncols"])
        for flag in ("excludeempty", "righttrim"):
            if isinstance(merged.get(flag), bool):
                merged[flag] = "true" if merged[flag] else "false"
        return m3_record(merged)

    def execute(self, program: str, transaction: str, record: dict | None = None, **control) -> list[dict]:
        """Run one transaction; its records, or M3BusinessError when M3 answers NOK."""
        fields = m3_record(record)
        response = self._send(
            "GET", f"{EXECUTE_PATH}/{program}/{transaction}", params={**fields, **self._control(control)},
            operation=f"{program}/{transaction}", record_count=lambda r: sum(
                len(x.get("records") or []) for x in r.json().get("results") or []),
        )
        bulk = self._parse(response)
        if bulk.was_terminated or not bulk.results:
            raise FatalError(f"Infor M3 did not run {program}/{transaction}: "
                             f"{bulk.termination_reason or 'no result returned'}")
        result = bulk.results[0]
        if not result.ok:
            raise result.error(program, fields)
        return result.records

    def execute_paged(self, program: str, transaction: str, record: dict | None = None, *, page_size: int,
                      start: dict[str, str] | None = None, key: tuple[str, ...] = ()) -> Iterator[dict]:
        """Every record of a List transaction, ``page_size`` at a time (never maxrecs=0: a long
        list can outlast the ION API Gateway's one-minute target timeout, reference §1).

        M3 lists have no page token: a list runs from the key given in its input, so the next
        page starts at the last record's key (``start`` maps output field → input field) and
        the records already read at that boundary (``key`` identifies a record) are skipped.
        A list without a start key is read in one page and refused when it would need more.
        """
        inputs, boundary = dict(record or {}), set()

        def of(row: dict, names) -> tuple:
            return tuple((row.get(name) or "").strip() for name in names)
        while True:
            rows = self.execute(program, transaction, inputs, maxrecs=page_size)
            fresh = [row for row in rows if of(row, key) not in boundary]
            yield from fresh
            if len(rows) < page_size:
                return
            if not start or not fresh:
                raise FatalError(f"Infor M3 {program}/{transaction} has more than {page_size} records from one "
                                 "starting key; raise the connection's m3_page_size.")
            last = of(rows[-1], start)
            boundary = {of(row, key) for row in rows if of(row, start) == last}
            inputs.update(dict(zip(start.values(), last)))

    def execute_bulk(self, program: str, transactions: list[tuple[str, dict]], **control) -> BulkResult:
        """Run many transactions of one program in one POST; per-transaction outcomes, no raise on NOK."""
        body = {"program": program,
                "transactions": [{"transaction": name, "record": m3_record(rec)} for name, rec in transactions]}
        response = self._send(
            "POST", EXECUTE_PATH, json=body, params=self._control(control), operation=f"{program}/bulk",
            record_count=len(transactions),
        )
        return self._parse(response)

    @staticmethod
    def _parse(response: requests.Response) -> BulkResult:
        try:
            data = response.json()
        except ValueError:
            raise FatalError("Infor M3 answered with something that is not JSON.") from None
        return bulk_response_parse(data)
