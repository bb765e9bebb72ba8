"""Staff-facing actions on a Salesforce connection: the connection check behind "Test
connection" (identity and API usage), and what the admin page shows for it."""
from __future__ import annotations

from integrations.connectors.salesforce.client import SalesforceClient
from integrations.errors import FatalError, SyncError
from integrations.models import Connection


def salesforce_connection_check(*, connection: Connection) -> dict:
    """Who we are connected as and how much API budget is left; ``error`` says what failed."""
    client = SalesforceClient(connection, urgent=True)
    try:
        identity = client.identity()
        limits = client.limits()
    except SyncError as exc:
        return {"ok": False, "error": exc.message}
    daily = limits.get("DailyApiRequests") or {}
    connection.refresh_from_db()
    return {
        "ok": True,
        "username": identity.get("username"), "display_name": identity.get("display_name"),
        "organization_id": identity.get("organization_id"), "user_id": identity.get("user_id"),
        "instance_url": connection.settings.get("instance_url", ""),
        "daily_api_max": daily.get("Max"), "daily_api_remaining": daily.get("Remaining"),
        "api_usage": connection.api_usage.get("api_usage", {}),
    }


def salesforce_connection_test(*, connection: Connection) -> str:
    """The admin's "Test connection" sentence: identity and API budget, or why it failed."""
    check = salesforce_connection_check(connection=connection)
    if not check["ok"]:
        raise FatalError(f"Salesforce test failed: {check['error']}")
    budget = (f"{check['daily_api_remaining']} of {check['daily_api_max']} daily API requests left"
              if check["daily_api_max"] else "API budget not reported")
    return (f"Connected to Salesforce as {check['username']} (org {check['organization_id']}, "
            f"{check['instance_url'] or 'instance URL unknown'}); {budget}.")
