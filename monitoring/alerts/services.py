"""Evaluate every enabled rule: open new alerts, remind on open ones, resolve cleared ones.

One open alert per key (a partial unique constraint), so two evaluations racing cannot
open the same alert twice: the loser finds the open row and leaves it alone.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..links import absolute
from ..models import Alert, AlertEvent, AlertRule
from .channels import alert_deliver
from .evaluators import RULE_KINDS, Condition

logger = logging.getLogger(__name__)


def alert_text(alert: Alert) -> str:
    """The message, then the absolute link to the records (e-mails and chat are read outside the app)."""
    url = alert.details.get("url") if isinstance(alert.details, dict) else None
    return f"{alert.message}\n\n{alert.details.get('url_label') or 'Open'}: {url}" if url else alert.message


def _details(condition: Condition) -> dict:
    if not condition.link:
        return condition.details
    return {**condition.details, "url": absolute(condition.link), "url_label": condition.link_label}


def _notify(alert: Alert, rule: AlertRule, kind: str, now: datetime, subject: str) -> AlertEvent:
    deliveries = alert_deliver(rule=rule, subject=subject, text=alert_text(alert))
    Alert.objects.filter(pk=alert.pk).update(last_notified_at=now, notify_count=alert.notify_count + 1)
    return AlertEvent.objects.create(alert=alert, kind=kind, at=now, message=alert.message, deliveries=deliveries)


def alert_open(*, rule: AlertRule, condition: Condition, now: datetime) -> Alert | None:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule, kind=rule.kind, key=f"rule:{rule.pk}:{condition.key}", severity=rule.severity,
                title=condition.title[:200], message=condition.message, details=_details(condition),
            )
    except IntegrityError:
        return None  # opened by a concurrent evaluation
    _notify(alert, rule, AlertEvent.Kind.OPENED, now, condition.title)
    return alert


def alert_refresh(*, alert: Alert, rule: AlertRule, condition: Condition, now: datetime) -> bool:
    """Keep an open alert's words current; remind when the repeat interval has passed."""
    alert.title, alert.message, alert.details = condition.title[:200], condition.message, _details(condition)
    alert.save(update_fields=["title", "message", "details"])
    due = rule.repeat_minutes and (alert.last_notified_at is None
                                   or now - alert.last_notified_at >= timedelta(minutes=rule.repeat_minutes))
    if due:
        _notify(alert, rule, AlertEvent.Kind.REPEATED, now, f"Still happening: {condition.title}")
    return bool(due)


def alert_resolve(*, alert: Alert, rule: AlertRule | None, now: datetime, reason: str) -> None:
    updated = Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
        status=Alert.Status.RESOLVED, resolved_at=now
    )
    if not updated:
        return
    if rule is not None and rule.enabled and rule.notify_on_resolve:
        alert.message = f"Resolved: {reason}"
        _notify(alert, rule, AlertEvent.Kind.RESOLVED, now, f"Resolved: {alert.title}")
    else:
        AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.RESOLVED, at=now, message=f"Resolved: {reason}")


def alert_rule_evaluate(*, rule: AlertRule, now: datetime) -> dict:
    open_alerts = {a.key: a for a in Alert.objects.filter(rule=rule, status=Alert.Status.OPEN)}
    counts = {"opened": 0, "repeated": 0, "resolved": 0}
    if rule.enabled:
        evaluator = RULE_KINDS[rule.kind][0]
        for condition in evaluator(rule, now):
            key = f"rule:{rule.pk}:{condition.key}"
            if key in open_alerts:
                counts["repeated"] += alert_refresh(alert=open_alerts.pop(key), rule=rule, condition=condition, now=now)
            elif alert_open(rule=rule, condition=condition, now=now):
                counts["opened"] += 1
    reason = "the condition no longer holds." if rule.enabled else "the rule was switched off."
    for alert in open_alerts.values():
        alert_resolve(alert=alert, rule=rule, now=now, reason=reason)
        counts["resolved"] += 1
    return counts


def alert_rules_evaluate(*, now: datetime | None = None) -> dict:
    """The scheduled job. A rule that fails to evaluate is logged and the others still run."""
    now = now or timezone.now()
    totals = {"opened": 0, "repeated": 0, "resolved": 0, "failed_rules": 0}
    for rule in AlertRule.objects.select_related("flow", "connection").order_by("pk"):
        try:
            for k, v in alert_rule_evaluate(rule=rule, now=now).items():
                totals[k] += v
        except Exception:
            logger.exception("Alert rule %s (%s) could not be evaluated", rule.pk, rule.kind)
            totals["failed_rules"] += 1
    return totals
