"""Anomaly checks on business data (amounts, currencies, FX, volumes, duplicates, ledgers)."""
