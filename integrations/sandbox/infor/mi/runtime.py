"""Run MI transactions the way M3 MI REST v2 does and answer in the BulkResponse shape.

- Every value in and out is a string; dates are YYYYMMDD (``dateformat`` may ask for another
  format); decimals use ``.``.
- Inputs are checked against the transaction's signature (required fields, maximum lengths,
  numeric and date fields) before the transaction runs, as the Infor Swagger declares them.
- A failed transaction is a result carrying errorMessage/errorCode/errorField/errorType, with
  HTTP 200; it changes nothing (each transaction runs in its own savepoint).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

COMPANY = "100"
DIVISION = "AAA"

# Input fields M3 reads as dates (converted from ``dateformat`` to YYYYMMDD before the handler).
DATE_FIELDS = {"ORDT", "RLDT", "DWDT", "IVDT", "DUDT", "ACDT", "LPDT", "RGDT", "LMDT", "REDE"}
DECIMAL_FIELDS = {"ORQT", "SAPR", "PYAM", "CUAM", "ACAM", "ARAT"}
INTEGER_FIELDS = {"PBID", "TRNO", "LINE", "INYR", "YEA4", "CUTP", "LMTS", "JRNO", "JSNO", "PONR", "AITP"}

# dateformat → strftime pattern (Swagger enum; YWD5 is week-based and not offered here).
DATE_FORMATS = {"YMD8": "%Y%m%d", "YMD6": "%y%m%d", "MDY6": "%m%d%y", "DMY6": "%d%m%y", "YMD8-": "%Y-%m-%d"}


class MIError(Exception):
    """A NOK answer: M3's message id, the field it is about, and the message text."""

    def __init__(self, message: str, *, code: str = "", field: str = "", kind: str = "ServerReturnedNOK"):
        super().__init__(message)
        self.message, self.code, self.field, self.kind = message, code, field, kind


@dataclass(frozen=True)
class Transaction:
    handler: Callable[[Context, dict], list[dict]]
    required: dict[str, int]
    optional: dict[str, int] = field(default_factory=dict)

    def max_length(self, name: str) -> int | None:
        return self.required.get(name, self.optional.get(name))


@dataclass
class Context:
    """Control parameters of one call (Swagger: cono, divi, maxrecs, returncols, …)."""

    cono: str = COMPANY
    divi: str = DIVISION
    maxrecs: int = 100
    returncols: list[str] = field(default_factory=list)
    dateformat: str = "YMD8"
    excludeempty: bool = False
    righttrim: bool = True
    extendedresult: bool = False

    @classmethod
    def from_params(cls, params: dict[str, str]) -> Context:
        def flag(name, default):
            value = params.get(name)
            return default if value in (None, "") else value.strip().lower() == "true"

        ctx = cls(
            cono=params.get("cono") or COMPANY, divi=params.get("divi") or DIVISION,
            returncols=[c.strip().upper() for c in (params.get("returncols") or "").split(",") if c.strip()],
            dateformat=(params.get("dateformat") or "YMD8").upper(),
            excludeempty=flag("excludeempty", False), righttrim=flag("righttrim", True),
            extendedresult=flag("extendedresult", False),
        )
        raw_max = params.get("maxrecs")
        # Without maxrecs M3 answers the first 100 records (m3-odin's default); unconfirmed for
        # MI REST v2, hence a setting. maxrecs=0 is "unlimited" (Swagger).
        ctx.maxrecs = getattr(settings, "SANDBOX_INFOR_MAXRECS_DEFAULT", 100)
        if raw_max not in (None, ""):
            if not raw_max.strip().isdigit():
                raise MIError(f"maxrecs must be a number, got '{raw_max}'", kind="InvalidParameter", field="maxrecs")
            ctx.maxrecs = int(raw_max)
        if ctx.dateformat not in DATE_FORMATS:
            raise MIError(f"dateformat '{ctx.dateformat}' is not supported", kind="InvalidParameter", field="dateformat")
        return ctx

    def date_in(self, value: str, name: str) -> str:
        try:
            return datetime.strptime(value, DATE_FORMATS[self.dateformat]).strftime("%Y%m%d")
        except ValueError:
            raise MIError(f"Date {value} is invalid for format {self.dateformat}", code="WDT0101", field=name) from None

    def date_out(self, value: str) -> str:
        if self.dateformat == "YMD8" or len(value) != 8:
            return value
        return datetime.strptime(value, "%Y%m%d").strftime(DATE_FORMATS[self.dateformat])


def today() -> str:
    return date.today().strftime("%Y%m%d")


def money(value) -> str:
    """M3 shows amounts with '.' and no thousands separator."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def quantity(value) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def decimal_in(record: dict, name: str, default: str = "0") -> Decimal:
    return Decimal(record.get(name) or default)


# -- running ----------------------------------------------------------------------------------
def _validate(txn: Transaction, record: dict[str, str], ctx: Context) -> dict[str, str]:
    for name in txn.required:
        if not (record.get(name) or "").strip():
            raise MIError(f"Input field {name} is mandatory", kind="MandatoryInputFieldNotFound", field=name)
    clean = {}
    for name, value in record.items():
        limit = txn.max_length(name)
        if limit is None:
            continue  # M3 ignores fields the transaction does not declare
        value = str(value).rstrip()
        if len(value) > limit:
            raise MIError(f"Input field {name} is too long ({len(value)} > {limit})", kind="InputFieldTooLong", field=name)
        if value and name in DATE_FIELDS:
            value = ctx.date_in(value, name)
        elif value and name in DECIMAL_FIELDS:
            try:
                Decimal(value)
            except InvalidOperation:
                raise MIError(f"Field {name} must be numeric, got '{value}'", code="WNU0101", field=name) from None
        elif value and name in INTEGER_FIELDS and not value.lstrip("-").isdigit():
            raise MIError(f"Field {name} must be a whole number, got '{value}'", code="WNU0102", field=name)
        clean[name] = value
    if record.get("CONO") and record["CONO"].strip() != COMPANY:
        raise MIError(f"Not authorized for company {record['CONO']}", code="XAU0008", field="CONO")
    return clean


def _shape(records: list[dict], ctx: Context) -> list[dict]:
    shaped = []
    for record in records[: ctx.maxrecs or None]:
        out = {}
        for name, value in record.items():
            if ctx.returncols and name not in ctx.returncols:
                continue
            text = "" if value is None else str(value)
            if name in DATE_FIELDS:
                text = ctx.date_out(text)
            if ctx.excludeempty and not text.strip():
                continue
            out[name] = text
        shaped.append(out)
    return shaped


def transaction_run(programs: dict[str, dict[str, Transaction]], program: str, name: str,
                    record: dict[str, str], ctx: Context) -> dict:
    """One entry of ``results``: records, or the error fields."""
    result: dict = {"transaction": name}
    if ctx.extendedresult:
        result["parameters"] = dict(record)
    try:
        if ctx.cono != COMPANY:
            raise MIError(f"Not authorized for company {ctx.cono}", code="XAU0008", field="CONO")
        txn = programs.get(program, {}).get(name)
        if txn is None:
            raise MIError(f"Transaction {name} does not exist in program {program}", kind="TransactionNotFound")
        clean = _validate(txn, record, ctx)
        with transaction.atomic():  # a NOK answer leaves no half-done change behind
            records = txn.handler(ctx, clean)
        result["records"] = _shape(records, ctx)
    except MIError as exc:
        result.update(errorMessage=exc.message, errorCode=exc.code, errorField=exc.field,
                      errorType=exc.kind, errorCfg="", notProcessed=False, records=[])
    return result


def bulk_response(results: list[dict]) -> dict:
    failed = sum(1 for r in results if "errorType" in r)
    return {
        "results": results,
        "wasTerminated": False,
        "nrOfSuccessfullTransactions": len(results) - failed,
        "nrOfFailedTransactions": failed,
        "nrOfNotProcessedTransactions": 0,
    }


def termination_response(reason: str, error_type: str = "InvalidRequest") -> dict:
    """A bulk request that could not be read at all: nothing ran."""
    return {
        "results": [], "wasTerminated": True, "terminationReason": reason, "terminationErrorType": error_type,
        "nrOfSuccessfullTransactions": 0, "nrOfFailedTransactions": 0, "nrOfNotProcessedTransactions": 0,
    }
