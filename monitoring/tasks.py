"""django-q2 entry points: one service call each, nothing else."""
from .alerts.services import alert_rules_evaluate as _alerts
from .anomalies.runner import anomalies_run as _anomalies
from .rollups import metrics_rollup as _rollup


def metrics_rollup() -> dict:
    return _rollup()


def alert_rules_evaluate() -> dict:
    return _alerts()


def anomalies_run() -> dict:
    return _anomalies()
