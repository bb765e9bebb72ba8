"""Demo step (listed in integrations.demo.DEMO_STEPS): load the default mapping sets and value tables.

Idempotent and polite: only what is missing is created, so an admin's edits survive `make run`.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .promotion import config_import, config_loads

DEFAULTS_FILE = Path(__file__).parent / "defaults" / "ledgerlink-defaults.json"


def default_config_load(write: Callable[[str], None]) -> None:
    data = config_loads(DEFAULTS_FILE.read_text(encoding="utf-8"), source_name=DEFAULTS_FILE.name)
    preview = config_import(data=data, dry_run=True, only_missing=True)
    if preview.diff == ["No changes."]:
        write("Default mapping sets and value tables: already loaded.")
        return
    result = config_import(data=data, dry_run=False, only_missing=True, source_name=f"defaults/{DEFAULTS_FILE.name}")
    write(f"Default mapping sets and value tables: loaded {len(result.diff)} item(s).")
