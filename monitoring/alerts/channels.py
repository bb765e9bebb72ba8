"""Where alerts go. Explicit registry: channel name → sender(rule, subject, text) → (ok, detail).

A channel failure is recorded on the alert's history and never stops the other channels
or the evaluation. Webhook URLs carry their own token, so they are never logged or shown.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail

from config.outbound_http import OutboundRequestRefused, outbound_session

logger = logging.getLogger(__name__)


def email_send(rule, subject: str, text: str) -> tuple[bool, str] | None:
    recipients = rule.recipients()
    if not recipients:
        return None
    try:
        send_mail(f"[Ledgerlink] {subject}", text, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception as exc:  # any backend error is a failed delivery, reported on the alert
        return False, f"email not sent: {type(exc).__name__}"
    return True, f"emailed {len(recipients)} recipient(s)"


def webhook_send(rule, subject: str, text: str) -> tuple[bool, str] | None:
    if not rule.webhook_url:
        return None
    host = urlsplit(rule.webhook_url).hostname or "?"
    try:
        # The guarded session checks the URL again now (a DNS answer can change since it was saved).
        with outbound_session() as session:
            response = session.post(
                rule.webhook_url, json={"text": f"*{subject}*\n{text}"},
                timeout=settings.ALERT_WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False,
            )
    except OutboundRequestRefused as exc:
        logger.warning("Alert webhook to %s refused: %s", host, exc)
        return False, f"chat webhook not called: {exc}"
    except requests.RequestException as exc:
        logger.warning("Alert webhook to %s failed: %s", host, type(exc).__name__)
        return False, f"chat webhook to {host} failed: {type(exc).__name__}"
    if 200 <= response.status_code < 300:
        return True, f"posted to {host}"
    return False, f"chat webhook to {host} answered {response.status_code}"


CHANNELS = {"email": email_send, "webhook": webhook_send}


def alert_deliver(*, rule, subject: str, text: str) -> list[dict]:
    deliveries = []
    for name, sender in CHANNELS.items():
        outcome = sender(rule, subject, text)
        if outcome is not None:
            deliveries.append({"channel": name, "ok": outcome[0], "detail": outcome[1]})
    return deliveries
