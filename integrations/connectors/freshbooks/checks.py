"""FreshBooks' pre-flight checks (connectors/preflight.py): the business chosen, the granted scopes
covering what the enabled flows need, a verified webhook callback for each event they read, and
a public https URL for those callbacks. Read-only."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.freshbooks.oauth import business_choose, connection_scopes
from integrations.connectors.freshbooks.services import freshbooks_webhook_url
from integrations.connectors.preflight import CheckResult, Needs, check_fail, check_pass, check_warning
from integrations.errors import SyncError
from integrations.models import Connection

# Scopes the API reference marks unconfirmed (its §1.6): one FreshBooks does not know, or the app
# registration does not enable, rejects the whole consent screen.
UNCONFIRMED_SCOPES = ("user:billable_items:read", "user:billable_items:write")
# Registering a webhook needs "the scope based on the webhook" (reference §1.6): its object's read scope.
EVENT_SCOPES = {"client": "user:clients:read", "invoice": "user:invoices:read", "payment": "user:payments:read",
                "expense": "user:expenses:read"}


CONNECT_FIX = "Connect FreshBooks again (the connection's Connect button)."


def _link(connection: Connection) -> str:
    return reverse("admin:integrations_connection_change", args=[connection.pk])


def business_check(client: FreshBooksClient, connection: Connection) -> CheckResult:
    account_id = (connection.settings or {}).get("account_id", "")
    if not account_id:
        return check_fail("Business", "No FreshBooks business is chosen on this connection.", CONNECT_FIX,
                          url=_link(connection))
    try:
        chosen = business_choose(client.identity(), account_id=account_id)
    except SyncError as exc:
        return check_fail("Business", exc.message, CONNECT_FIX, url=_link(connection))
    return check_pass("Business", f"Business “{chosen['name']}” (account {chosen['account_id']}) as "
                                  f"{chosen['role'] or 'a member'}.")


def scopes_check(connection: Connection, needs: Needs) -> list[CheckResult]:
    results = []
    asked = set(connection_scopes(connection))
    unconfirmed = sorted(asked & set(UNCONFIRMED_SCOPES))
    if unconfirmed:
        results.append(check_warning(
            "Requested scopes", f"The connection asks for {', '.join(unconfirmed)}, which are not confirmed to exist; "
                                "one scope the app registration does not enable fails the whole consent.",
            "Enable them on the FreshBooks app, or leave them out of the connection's \"scopes\" setting."))
    granted_text = (connection.settings or {}).get("token_scope")
    if granted_text is None:
        results.append(check_warning("Granted scopes", "FreshBooks' grant was not recorded (connected before "
                                                       "Ledgerlink kept it), so the scopes cannot be checked.",
                                     CONNECT_FIX, url=_link(connection)))
        return results
    granted = set(str(granted_text).split())
    wanted = dict(needs.freshbooks_scopes)
    for event, flow in needs.freshbooks_events.items():
        if event in EVENT_SCOPES:
            wanted.setdefault(EVENT_SCOPES[event], flow)
    missing = {scope: flow for scope, flow in sorted(wanted.items()) if scope not in granted}
    if missing:
        results.append(check_fail(
            "Granted scopes", "Not granted: " + "; ".join(f"{s} (flow {f})" for s, f in missing.items()) + ".",
            "Enable the scopes on the FreshBooks app and list them in the connection's \"scopes\" setting if it has "
            "one. " + CONNECT_FIX, url=_link(connection)))
    elif wanted:
        results.append(check_pass("Granted scopes", f"{', '.join(sorted(wanted))} granted."))
    return results


def _event_matches(callback_event: str, wanted: str) -> bool:
    event = str(callback_event or "")
    return event == wanted or event.startswith(wanted + ".")


def callbacks_check(client: FreshBooksClient, connection: Connection, needs: Needs) -> list[CheckResult]:
    if not needs.freshbooks_events:
        return []
    uri = freshbooks_webhook_url(connection=connection)
    ours = [c for c in client.callbacks.iterate() if c.get("uri") == uri]
    results = []
    for event, flow in sorted(needs.freshbooks_events.items()):
        found = [c for c in ours if _event_matches(c.get("event"), event)]
        name = f"Webhook: {event}"
        if not found:
            results.append(check_fail(name, f"No callback for {event} events at {uri} (flow {flow} reads them).",
                                      "Register the webhooks: Connect FreshBooks again (it registers them).",
                                      url=_link(connection)))
        elif not any(c.get("verified") for c in found):
            results.append(check_fail(name, f"The callback for {event} events is registered but not verified; "
                                            "FreshBooks sends nothing to it until it is.",
                                      "Make the public URL reachable from FreshBooks, then Connect FreshBooks again "
                                      "(it asks FreshBooks to resend the verification).", url=_link(connection)))
        else:
            results.append(check_pass(name, f"A verified callback receives {event} events at {uri}."))
    return results


def public_url_check() -> CheckResult:
    url = getattr(settings, "LEDGERLINK_PUBLIC_URL", "") or ""
    if url.startswith("https://"):
        return check_pass("Public URL", f"{url} is https.")
    sentence = f"The public URL {url or '(not set)'} is not https; FreshBooks delivers webhooks only to https URLs."
    fix = "Set LEDGERLINK_PUBLIC_URL to the https address of the reverse proxy (docs/going-live.md)."
    if settings.DEBUG:
        return check_warning("Public URL", sentence + " (A warning in development.)", fix)
    return check_fail("Public URL", sentence, fix)


def freshbooks_preflight_checks(*, connection: Connection, needs: Needs) -> list[CheckResult]:
    client = FreshBooksClient(connection)
    business = business_check(client, connection)
    results = [business, *scopes_check(connection, needs)]
    if not business.failed:
        results += callbacks_check(client, connection, needs)
    return results + ([public_url_check()] if needs.freshbooks_events else [])
