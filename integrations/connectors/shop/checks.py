"""The shops' pre-flight checks (connectors/preflight.py): the API credentials work, and the
webhook subscriptions the flows need are registered at our public URL. Read-only: the fix for a
missing subscription is the admin's "Register the shop's webhooks" (shop_webhooks_ensure)."""
from __future__ import annotations

from django.urls import reverse

from integrations.connectors.preflight import CheckResult, check_fail, check_pass
from integrations.connectors.shop.api import shop_client
from integrations.connectors.shop.subscriptions import shop_webhooks_check, webhook_address
from integrations.errors import SyncError

REGISTER_FIX = "Admin → Connections: select the connection, action “Register the shop's webhooks”."


def shop_preflight_checks(*, connection, needs=None) -> list[CheckResult]:
    link = reverse("admin:integrations_connection_change", args=[connection.pk])
    try:
        shop_client(connection).webhooks_list()
    except SyncError as exc:
        return [check_fail("API credentials", exc.message,
                           "Set the shop's address (base URL) and its API credentials on the connection.", url=link)]
    results = [check_pass("API credentials", "The shop's API answers with these credentials (catch-up of orders "
                                             "and webhook registration work).")]
    problems = shop_webhooks_check(connection)
    # not blocking: the catch-up poll still brings every order, only later
    results.append(check_fail("Webhook subscriptions", " ".join(problems), REGISTER_FIX, url=link, blocking=False)
                   if problems else
                   check_pass("Webhook subscriptions", f"Every topic the flows need is sent to {webhook_address(connection)}."))
    return results
