"""The shipped value tables point at codes and accounts the M3 simulator's tenant really has."""
import json

from integrations.sandbox.infor.state import SEED_ACCOUNTS, SEED_CODES
from mappings.setup import DEFAULTS_FILE

DEFAULTS = json.loads(DEFAULTS_FILE.read_text())
TABLES = {t["name"]: t for t in DEFAULTS["value_tables"]}


def _codes(stco):
    return {key for key, _ in SEED_CODES[stco]}


def test_expense_accounts_and_the_offset_exist_and_unknown_categories_have_no_default():
    accounts = {aitm for aitm, _, _ in SEED_ACCOUNTS}
    table = TABLES["expense-category-to-gl-account"]
    assert set(table["entries"].values()) <= accounts
    assert table["default_value"] is None  # an unknown category must stop, not land on a catch-all account
    journal = next(s for s in DEFAULTS["mapping_sets"] if s["name"] == "freshbooks-expense-to-infor-gl-journal")
    offset = next(f for f in journal["field_mappings"] if f["target_field"] == "lines[1].AIT1")
    assert offset["default"] in accounts and "2640" in accounts


def test_customer_groups_and_payment_types_exist():
    groups = TABLES["client-type-to-infor-customer-group"]
    assert set(groups["entries"].values()) | {groups["default_value"]} <= _codes("CUCL")
    types = TABLES["payment-gateway-to-infor-payment-method"]
    assert set(types["entries"].values()) | {types["default_value"]} <= _codes("PYTP")
