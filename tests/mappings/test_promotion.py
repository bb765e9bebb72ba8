"""export_config / import_config: stable output, lossless round trip, dry-run diff, bad files change nothing."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.models import Connection, Flow
from mappings.models import ConfigImport, CurrencyRate, FieldMapping, MappingSet, ValueTable, ValueTableEntry
from tests.factories import FlowFactory
from tests.mappings.builders import mapping_set_make

pytestmark = pytest.mark.django_db


def export(*args) -> str:
    out = StringIO()
    call_command("export_config", *args, stdout=out)
    return out.getvalue()


def run_import(path, *args) -> str:
    out = StringIO()
    call_command("import_config", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def configured():
    table = ValueTable.objects.create(name="gateways", default_value="OT", description="gateway → M3 payment type")
    ValueTableEntry.objects.create(table=table, source_value="PayPal", target_value="PP")
    ValueTableEntry.objects.create(table=table, source_value="Stripe", target_value="CC")
    CurrencyRate.objects.create(from_currency="EUR", to_currency="USD", date=date(2024, 1, 5), rate=Decimal("1.0921"), source="ecb")
    CurrencyRate.objects.create(from_currency="USD", to_currency="CAD", date=date(2024, 1, 5), rate=Decimal("100"))
    ms = mapping_set_make([
        {"target_field": "PYCD", "source_path": "gateway", "transforms": [{"name": "lookup", "args": {"table": "gateways"}}]},
        {"target_field": "lines", "source_path": "OpportunityLineItems", "item_label": "Line", "children": [
            {"target_field": "ITNO", "source_path": "ProductCode", "required": True, "max_length": 15}]},
    ], name="pay", status="published", source_system="freshbooks", source_object="payment", target_system="infor",
        target_object="OIS100MI")
    flow = FlowFactory(name="payments", mapping_set=ms, settings={"reconcile": {"amount_tolerance": "0.05"}, "api_token": "s3cret"},
                       source_connection__name="fb", target_connection__name="m3")
    return flow


def test_export_is_stable_sorted_and_has_no_secrets(configured):
    text = export()
    assert text == export()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "s3cret" not in text and "api_token" not in text
    assert data["flows"][0]["settings"] == {"reconcile": {"amount_tolerance": "0.05"}}
    assert data["flows"][0]["mapping_set"] == {"name": "pay", "version": 1}
    assert data["value_tables"][0]["entries"] == {"PayPal": "PP", "Stripe": "CC"}
    assert [r["rate"] for r in data["currency_rates"]] == ["1.0921", "100"]
    assert data["mapping_sets"][0]["field_mappings"][1]["children"][0]["target_field"] == "ITNO"


def test_export_selected_flows_only(configured):
    FlowFactory(name="other")
    data = json.loads(export("--flows", "payments"))
    assert [f["name"] for f in data["flows"]] == ["payments"]
    assert [t["name"] for t in data["value_tables"]] == ["gateways"]
    with pytest.raises(CommandError, match="No flow named nope"):
        export("--flows", "nope")


def test_export_selected_flows_carries_the_mapping_sets_of_every_step(db):
    """A flow that maps a step with its own set (flow 1's FreshBooks client → Account writes the primary
    Contact with freshbooks-client-to-salesforce-contact): the file carries that set too, or the flow
    cannot be enabled where it is imported."""
    account = mapping_set_make([{"target_field": "Name", "source_path": "organization"}],
                               name="freshbooks-client-to-salesforce-account", status="published")
    contact = mapping_set_make([{"target_field": "LastName", "source_path": "lname"}],
                               name="freshbooks-client-to-salesforce-contact", status="published")
    mapping_set_make([{"target_field": "X", "source_path": "x"}], name="unrelated", status="published")
    FlowFactory(name="clients", kind="freshbooks-client-to-salesforce-account", mapping_set=account)
    data = json.loads(export("--flows", "clients"))
    assert [s["name"] for s in data["mapping_sets"]] == [account.name, contact.name]


def test_import_names_its_connections_as_this_environment_does(configured, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(export())
    Flow.objects.all().delete()
    Connection.objects.filter(name="fb").update(name="FreshBooks (production)")
    with pytest.raises(CommandError, match="needs the connection 'fb', which does not exist here"):
        run_import(path)
    User.objects.create_superuser("restorer", "r@example.com", "pw")
    run_import(path, "--connection", "fb=FreshBooks (production)", "--user", "restorer", "--override-reason", "moved")
    assert Flow.objects.get(name="payments").source_connection.name == "FreshBooks (production)"
    with pytest.raises(CommandError, match="write it as NAME_IN_FILE=NAME_HERE"):
        run_import(path, "--connection", "fb")


def test_round_trip_is_lossless(configured, tmp_path):
    before = export()
    path = tmp_path / "config.json"
    path.write_text(before)
    # wipe the configuration (connections stay: they are per environment)
    Flow.objects.all().delete()
    MappingSet.objects.all().delete()
    ValueTable.objects.all().delete()
    CurrencyRate.objects.all().delete()
    # The file enables the flow; its fake connections fail their pre-flight checks, so enabling it is
    # an override with a reason (recorded), as an admin restoring a configuration would give.
    User.objects.create_superuser("restorer", "r@example.com", "pw")
    output = run_import(path, "--user", "restorer", "--override-reason", "restoring the same configuration")
    assert "+ mapping set pay v1" in output and "+ flow payments" in output
    assert Flow.objects.get(name="payments").check_overrides.get().reason == "restoring the same configuration"
    assert export() == before
    assert ConfigImport.objects.count() == 1
    assert run_import(path).startswith("No changes.")


def test_a_flow_the_file_enables_stays_disabled_while_its_checks_fail_unless_overridden(configured, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(export())  # the flow is enabled in the file
    Flow.objects.all().delete()  # its connections ("fb", "m3") cannot be reached: their checks fail
    with pytest.raises(CommandError, match="these flows stay disabled:\n  Flow payments cannot be enabled"):
        run_import(path)
    assert Flow.objects.get(name="payments").enabled is False  # imported, nothing lost, not enabled
    User.objects.create_user("clerk")
    with pytest.raises(CommandError, match="needs the “override checks” permission"):
        run_import(path, "--user", "clerk", "--override-reason", "late fields")
    User.objects.create_superuser("boss", "b@example.com", "pw")
    run_import(path, "--user", "boss", "--override-reason", "late fields")
    flow = Flow.objects.get(name="payments")
    assert flow.enabled and flow.check_overrides.get().username == "boss"


def test_dry_run_prints_the_diff_and_changes_nothing(configured, tmp_path):
    data = json.loads(export())
    data["value_tables"][0]["entries"]["PayPal"] = "PX"
    data["mapping_sets"][0]["field_mappings"][0]["source_path"] = "type"
    data["flows"][0]["enabled"] = False
    data["currency_rates"].append({"from": "EUR", "to": "GBP", "date": "2024-01-05", "rate": "0.86", "source": "ecb"})
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(data))
    before = export()
    output = run_import(path, "--dry-run")
    assert '~ value table gateways: entries.PayPal: "PP" → "PX"' in output
    assert '~ mapping set pay v1: field_mappings[0].source_path: "gateway" → "type"' in output
    assert "~ flow payments: enabled: true → false" in output
    assert "+ currency rate EUR→GBP 2024-01-05 (ecb)" in output
    assert "Dry run: nothing was changed." in output
    assert export() == before and not ConfigImport.objects.exists()
    run_import(path)
    assert ValueTableEntry.objects.get(source_value="PayPal").target_value == "PX"
    assert Flow.objects.get(name="payments").settings == {"reconcile": {"amount_tolerance": "0.05"}, "api_token": "s3cret"}  # secret kept


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["mapping_sets"][0]["field_mappings"][0]["transforms"].append({"name": "eval"}), "Unknown transform 'eval'"),
    (lambda d: d["mapping_sets"][0]["field_mappings"][0]["transforms"].append(
        {"name": "truncate", "args": {"length": "ten"}}), "must be a whole number"),
    (lambda d: d["mapping_sets"][0]["field_mappings"].extend([
        {"target_field": "CUNO", "source_path": "x", "condition": {"target": "CUCD", "op": "not_blank"}},
        {"target_field": "CUCD", "source_path": "x", "condition": {"target": "CUNO", "op": "not_blank"}}]), "cycle"),
    (lambda d: d["flows"][0].update(source_connection="prod-only"), "needs the connection 'prod-only'"),
    (lambda d: d["mapping_sets"][0]["field_mappings"][0]["transforms"][0]["args"].update(table="nowhere"),
     "Value table 'nowhere' is used by a mapping"),
    (lambda d: d["mapping_sets"][0]["field_mappings"][0].update(target_field="NOPE"), "infor OIS100MI has no such field"),
    (lambda d: d.update(format_version=9), "format_version 9"),
])
def test_bad_configuration_changes_nothing(configured, tmp_path, mutate, message):
    data = json.loads(export())
    data["value_tables"] and data["value_tables"][0]["entries"].update({"New": "NW"})  # a change that must not land
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    before = export()
    with pytest.raises(CommandError, match=message):
        run_import(path)
    assert export() == before and not ConfigImport.objects.exists()


def test_invalid_json_is_a_clear_error(tmp_path, db):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "ledgerlink-config",')
    with pytest.raises(CommandError, match=r"broken.json is not valid JSON: .* line 1"):
        run_import(path)
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "missing.json")


def test_importing_a_published_version_retires_the_local_one(configured, tmp_path):
    data = json.loads(export())
    data["mapping_sets"].append({**data["mapping_sets"][0], "version": 2})
    data["mapping_sets"][0]["status"] = "retired"
    data["flows"][0]["mapping_set"]["version"] = 2
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data))
    run_import(path)
    assert dict(MappingSet.objects.values_list("version", "status")) == {1: "retired", 2: "published"}
    assert Flow.objects.get(name="payments").mapping_set.version == 2
    assert FieldMapping.objects.filter(mapping_set__version=2, parent__isnull=False).count() == 1
    assert Connection.objects.count() == 2


# The "recording" test flow's settings: "records" is free-form, so nesting of any depth fits there.
SECRET_SETTINGS = {
    "reconcile": {"amount_tolerance": "0.05"},
    "api_token": "tok-top",
    "records": {"r1": {
        "report_url": "https://ops:hunter2@reports.example.com/in",  # user:password@
        "notify": {"client_secret": "cs-123", "channel": "#finance"},
        "files": ["https://files.example.com/a.csv?X-Amz-Signature=abc123sig"],  # a list holding a signed URL
        "docs_url": "https://docs.example.com/page?lang=en",
        "private_key": "-----BEGIN KEY-----",
        "Password": "pw-1",
        "webhook_url": "https://hooks.slack.com/services/T0/B0/XyZsecretpath",
        "lookup_url": "https://api.example.com/v1?access_token=tok-9&page=2",
        "limits": {"api_key": "k-77", "limit": 3},
    }},
}
SECRET_VALUES = ["tok-top", "hunter2", "cs-123", "abc123sig", "BEGIN KEY", "pw-1", "XyZsecretpath", "tok-9", "k-77"]


@pytest.fixture
def secret_flow(configured):
    configured.settings = SECRET_SETTINGS
    configured.save()
    return configured


def test_export_drops_every_secret_setting_recursively_and_names_each(secret_flow):
    out, err = StringIO(), StringIO()
    call_command("export_config", stdout=out, stderr=err)
    text, report = out.getvalue(), err.getvalue()
    assert not [v for v in SECRET_VALUES if v in text or v in report]
    assert json.loads(text)["flows"][0]["settings"] == {
        "reconcile": {"amount_tolerance": "0.05"},
        "records": {"r1": {"notify": {"channel": "#finance"}, "docs_url": "https://docs.example.com/page?lang=en",
                           "limits": {"limit": 3}}},
    }
    for path in ("api_token", "records.r1.report_url", "records.r1.notify.client_secret", "records.r1.files",
                 "records.r1.private_key", "records.r1.Password", "records.r1.webhook_url", "records.r1.lookup_url",
                 "records.r1.limits.api_key"):
        assert f"Flow 'payments': setting '{path}' not exported" in report


def test_export_to_a_file_reports_what_it_held_back(secret_flow, tmp_path):
    err = StringIO()
    call_command("export_config", "--output", str(tmp_path / "c.json"), stderr=err)
    assert "setting 'records.r1.notify.client_secret' not exported" in err.getvalue()
    assert "cs-123" not in (tmp_path / "c.json").read_text()


def test_import_keeps_the_targets_held_back_values_at_every_depth(secret_flow, tmp_path):
    data = json.loads(export())
    data["flows"][0]["settings"]["reconcile"]["amount_tolerance"] = "0.10"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    # The target environment has secrets of its own (here: the same keys, other values).
    target = json.loads(json.dumps(SECRET_SETTINGS))
    target["records"]["r1"]["notify"]["client_secret"] = "target-cs"
    target["records"]["r1"]["limits"]["api_key"] = "target-k"
    target["records"]["r1"]["report_url"] = "https://ops:target-pw@reports.example.com/in"
    Flow.objects.filter(name="payments").update(settings=target)
    output = run_import(path)
    assert '~ flow payments: settings.reconcile.amount_tolerance: "0.05" → "0.10"' in output
    assert not [v for v in SECRET_VALUES + ["target-"] if v in output]
    target["reconcile"]["amount_tolerance"] = "0.10"
    assert Flow.objects.get(name="payments").settings == target
