"""Infor M3's pre-flight checks (connectors/preflight.py): a token, the company and division, the M3
setup the flows' settings name (customer template, order type, warehouse, payment batch type, GL
interface) and every M3 code the flows' value tables and settings point at. Read-only: list and get
transactions only.

Setup values and most codes are read from CSYTAB with CRS175MI LstGeneralCode, by the constants in
the ``m3_code_tables`` setting (unconfirmed against a live tenant, infor-api.md §7, hence a setting);
GL accounts with CRS630MI LstAccountID, item numbers with MMS200MI GetItmBasic.
"""
from __future__ import annotations

from django.urls import reverse

from integrations.connectors.infor.m3_adapter import M3Adapter
from integrations.connectors.preflight import CheckResult, Needs, check_fail, check_pass, check_warning
from integrations.errors import SyncError
from integrations.models import Connection

#: connection setting → (logical code table, what it is)
SETUP_TABLES = {
    "m3_customer_template": ("customer_template", "customer template (CUTM)"),
    "m3_order_type": ("order_type", "customer order type (ORTP)"),
    "m3_warehouse": ("warehouse", "warehouse (WHLO)"),
    "m3_payment_batch_type": ("batch_payment_type", "payment batch type (BOPE)"),
    "m3_gl_interface": ("gl_interface", "GL interface (INTN, GLS850)"),
}
#: M3 field a value table or setting writes → (logical code table, what it is); AIT1 and ITNO are read apart
CODE_TABLES = {
    "CUCL": ("customer_group", "customer groups"), "PYCD": ("payment_method", "payment methods"),
    "PYTP": ("payment_type", "payment types"), "TEPY": ("payment_terms", "payment terms"),
    "CSCD": ("country", "country codes"),
}
SETUP_FIX = "Create it in M3, or name an existing one in the connection's {setting} setting."


def _sentence_missing(missing: dict[str, str]) -> str:
    return "; ".join(f"{code} (from {where})" for code, where in sorted(missing.items()))


def _link(adapter: M3Adapter) -> str:
    return reverse("admin:integrations_connection_change", args=[adapter.connection.pk])


def setup_checks(adapter: M3Adapter, needs: Needs) -> list[CheckResult]:
    results = []
    for setting, flow in sorted(needs.infor_settings.items()):
        table, what = SETUP_TABLES.get(setting, (setting, setting))
        value = adapter.setting(setting)
        name = f"M3 {what}"
        if not value:
            results.append(check_warning(name, f"No {what} is set ({setting}); M3 uses its own default for flow {flow}.",
                                         f"Set {setting} on the Infor connection if the default is not wanted.",
                                         url=_link(adapter)))
            continue
        codes = {c["code"] for c in adapter.list_codes(table=table)}
        if str(value) in codes:
            results.append(check_pass(name, f"{value} exists in M3."))
        else:
            results.append(check_fail(name, f"The {what} {value} (setting {setting}, used by flow {flow}) does not "
                                            "exist in M3.", SETUP_FIX.format(setting=setting), url=_link(adapter)))
    return results


def codes_checks(adapter: M3Adapter, needs: Needs) -> list[CheckResult]:
    results = []
    for m3_field, wanted in sorted(needs.infor_codes.items()):
        if m3_field == "AIT1":
            what = "GL accounts"
            problems = adapter.validate_accounts(accounts=sorted(wanted))
            missing = {code: f"{wanted[code]}; it {problem}" for code, problem in problems.items()}
        elif m3_field == "ITNO":
            what = "item numbers"
            missing = {code: wanted[code] for code in sorted(wanted) if not adapter.item_exists(item_number=code)}
        elif m3_field in CODE_TABLES:
            table, what = CODE_TABLES[m3_field]
            known = {c["code"] for c in adapter.list_codes(table=table)}
            missing = {code: where for code, where in wanted.items() if code not in known}
        else:
            continue  # a field whose codes M3 does not list: nothing to compare with
        name = f"M3 {what} ({m3_field})"
        if missing:
            results.append(check_fail(name, f"Not in M3: {_sentence_missing(missing)}.",
                                      "Create each in M3, or change the value table entry or flow setting to an "
                                      "existing code (Mappings → Value tables).",
                                      url=reverse("admin:mappings_valuetable_changelist")))
        else:
            results.append(check_pass(name, f"All {len(wanted)} code(s) the flows use exist in M3."))
    return results


def infor_preflight_checks(*, connection: Connection, needs: Needs) -> list[CheckResult]:
    adapter = M3Adapter(connection)
    try:
        context = adapter.user_context()
    except SyncError as exc:
        return [check_fail("Token, company and division", f"M3 refused the sign-in or the company/division: "
                                                          f"{exc.message}",
                           "Upload the .ionapi file again, and set m3_cono / m3_divi to a company and division the "
                           "ION API user may use.", url=_link(adapter))]
    results = [check_pass("Token, company and division",
                          f"Signed in; company {context['company']}, division {context['division']}.")]
    return results + setup_checks(adapter, needs) + codes_checks(adapter, needs)
