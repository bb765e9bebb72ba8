"""The committed Salesforce source (salesforce/) is what the custom field declaration generates."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from integrations.connectors.salesforce.custom_fields import CUSTOM_FIELDS
from integrations.connectors.salesforce.source import salesforce_source_files

PROJECT = Path(settings.BASE_DIR) / "salesforce"


def test_committed_source_equals_the_declaration():
    generated = salesforce_source_files()
    committed = {str(p.relative_to(PROJECT)): p.read_text() for p in PROJECT.rglob("*") if p.is_file()}
    assert committed == generated, "run: python manage.py salesforce_source_export"


def test_every_declared_field_has_its_file_and_a_grant():
    files = salesforce_source_files()
    permission_set = next(text for path, text in files.items() if path.endswith(".permissionset-meta.xml"))
    for spec in CUSTOM_FIELDS:
        text = files[f"force-app/main/default/objects/{spec.sobject}/fields/{spec.name}.field-meta.xml"]
        assert f"<fullName>{spec.name}</fullName>" in text and f"<type>{spec.type}</type>" in text
        assert f"<field>{spec.full_name}</field>" in permission_set
