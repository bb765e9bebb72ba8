"""Pre-flight checks: what one check answers, and what the enabled flows need of a connection.

Each system's checks live in its own package (``connectors/<system>/checks.py``) and are named
on its Connector as ``preflight_checks``: ``(connection=, needs=) -> list[CheckResult]``. They
only read from the system, never write. operations/preflight_needs.py gathers the needs
from the flows (each flow declares its own, see sync/handler.py ``requirements``) and the
mapping sets they use, and asks each connection's connector.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASS, FAIL, WARNING = "pass", "fail", "warning"


@dataclass(frozen=True)
class CheckResult:
    """One check: its status, one sentence saying what was found, and on failure the fix
    (a link or the name of an action). A failing *blocking* check stops a flow being enabled."""

    name: str
    status: str  # PASS | FAIL | WARNING
    sentence: str
    fix: str = ""
    blocking: bool = True
    connection: str = ""  # the connection checked ("" for checks of the flows' configuration)
    fix_url: str = ""  # where the fix is made (an admin page), when there is one

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @property
    def blocks(self) -> bool:
        return self.failed and self.blocking

    def as_dict(self) -> dict:
        return asdict(self)


def check_pass(name: str, sentence: str) -> CheckResult:
    return CheckResult(name, PASS, sentence)


def check_fail(name: str, sentence: str, fix: str, *, url: str = "", blocking: bool = True) -> CheckResult:
    return CheckResult(name, FAIL, sentence, fix, blocking, fix_url=url)


def check_warning(name: str, sentence: str, fix: str = "", *, url: str = "") -> CheckResult:
    return CheckResult(name, WARNING, sentence, fix, blocking=False, fix_url=url)


@dataclass(frozen=True)
class SalesforceField:
    """A Salesforce field the flows read or write (a declared custom field, or a mapping set's target).

    ``type``/``length`` are what the flow stores there (and what *Prepare Salesforce* creates);
    ``match``: the flow finds records by it, so it must be an external id and unique;
    ``write``: the integration user must be able to create and update it."""

    sobject: str
    name: str
    type: str  # Salesforce describe type: string, picklist, currency, date, … ("" = any)
    length: int = 0
    label: str = ""
    write: bool = True
    match: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()


# Describe types a field of our declared type may have in the org and still hold our values.
COMPATIBLE_TYPES = {
    "string": {"string", "textarea", "email", "phone", "url", "picklist", "combobox"},
    "picklist": {"picklist", "string", "combobox"},
    "currency": {"currency", "double", "percent"},
    "double": {"double", "currency", "percent", "int"},
    "date": {"date", "datetime"},
}


@dataclass
class Needs:
    """What the flows being checked need of one connection (built by operations/preflight_needs.py)."""

    flows: list[str] = field(default_factory=list)
    #: the flows' kinds → a flow of that kind (systems declaring needs by flow kind read these)
    flow_kinds: dict[str, str] = field(default_factory=dict)
    #: Salesforce: fields (declared by flows, or targets of their mapping sets); each with who needs it
    salesforce_fields: dict[tuple[str, str], tuple[SalesforceField, str]] = field(default_factory=dict)
    #: Salesforce: entities whose change events (CDC) the flows read
    change_events: dict[str, str] = field(default_factory=dict)
    #: FreshBooks: scope → the flow needing it; webhook events the flows read → the flow
    freshbooks_scopes: dict[str, str] = field(default_factory=dict)
    freshbooks_events: dict[str, str] = field(default_factory=dict)
    #: Infor: connection settings naming M3 setup the flows rely on → the flow
    infor_settings: dict[str, str] = field(default_factory=dict)
    #: Infor: M3 field (ITNO, AIT1, CUCL, PYTP, CSCD, …) → {code: where it comes from}
    infor_codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def field_add(self, need: SalesforceField, used_by: str) -> None:
        key = (need.sobject, need.name)
        if key in self.salesforce_fields:
            known, by = self.salesforce_fields[key]
            if not known.type and need.type:  # a flow's declaration says more than a mapping's target
                self.salesforce_fields[key] = (need, by)
            return
        self.salesforce_fields[key] = (need, used_by)

    def code_add(self, m3_field: str, code: str, where: str) -> None:
        if code not in (None, ""):
            self.infor_codes.setdefault(m3_field, {}).setdefault(str(code), where)


@dataclass(frozen=True)
class FlowRequirements:
    """One flow kind's needs besides its mapping sets (a handler's ``requirements``). The Salesforce
    custom fields are declared apart, by flow kind (connectors/salesforce/custom_fields.py), as
    *Prepare Salesforce* creates them from that declaration."""

    freshbooks_scopes: tuple[str, ...] = ()
    #: Infor connection settings naming M3 setup the flow uses (m3_customer_template, …)
    infor_settings: tuple[str, ...] = ()
    #: flow settings holding M3 codes → the M3 field they go to (e.g. {"offset_account": "AIT1"})
    infor_code_settings: tuple[tuple[str, str], ...] = ()
