"""Simulator set-up used by its pages and by Ledgerlink's demo step: connected apps,
subscriptions, fault switches, and products with a standard price."""
from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from .models import SfConnectedApp, SfDeleteLog, SfOrg, SfRecord, SfSubscription
from .oauth import sessions_expire_now  # noqa: F401  (re-exported for pages)
from .org import integration_user, org_get
from .schema import CDC_OBJECTS
from .writes import record_create

ORG_SETTINGS = ["multi_currency", "default_currency", "query_page_size", "api_daily_limit", "fault_lock_row",
                "fault_unavailable", "fault_unauthorized", "currency_rounding", "latency_ms", "duplicate_rules", "empty_subquery_null",
                "replication_min_window_minutes", "replication_lag_minutes", "replication_id_limit",
                "purged_window_error", "jwt_audiences", "cdc_entities", "pubsub_retention_hours",
                "pubsub_keepalive_seconds", "custom_fields_installed"]


def connected_app_ensure(*, consumer_key: str, consumer_secret: str = "", redirect_uris: list[str] = (),
                         name: str = "Ledgerlink", **options) -> SfConnectedApp:
    app, created = SfConnectedApp.objects.get_or_create(
        consumer_key=consumer_key,
        defaults={"name": name, "consumer_secret": consumer_secret or secrets.token_urlsafe(24), **options})
    uris = set(app.redirect_uri_list()) | set(redirect_uris)
    if not created:
        for key, value in options.items():
            setattr(app, key, value)
        if consumer_secret:
            app.consumer_secret = consumer_secret
    app.redirect_uris = "\n".join(sorted(uris))
    if app.run_as is None:
        app.run_as = integration_user()
    app.save()
    return app


def subscription_ensure(*, endpoint: str, secret: str, name: str = "Ledgerlink", auth: str = SfSubscription.Auth.HMAC,
                        shape: str = SfSubscription.Shape.COMETD, active: bool = True) -> SfSubscription:
    """An HTTP relay of change events to ``endpoint`` (what an Apex or Flow HTTP callout would post)."""
    sub, _ = SfSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"name": name, "secret": secret, "auth": auth, "shape": shape, "active": active})
    return sub


def org_configure(**values) -> SfOrg:
    org = org_get()
    unknown = set(values) - set(ORG_SETTINGS)
    if unknown:
        raise ValueError(f"Unknown org settings: {', '.join(sorted(unknown))}")
    SfOrg.objects.filter(pk=org.pk).update(**values)
    org.refresh_from_db()
    return org


def delete_log_purge(*, before) -> int:
    """Purge the delete log up to ``before`` (as Salesforce does when the log grows or the
    Recycle Bin is emptied): getDeleted cannot reach back past it any more."""
    org = org_get()
    purged, _ = SfDeleteLog.objects.filter(deleted_at__lt=before).delete()
    if org.delete_log_purged_before is None or org.delete_log_purged_before < before:
        SfOrg.objects.filter(pk=org.pk).update(delete_log_purged_before=before)
    return purged


def api_budget_exhaust() -> None:
    org = org_get()
    SfOrg.objects.filter(pk=org.pk).update(api_used=org.api_daily_limit)


def product_with_price_create(*, name: str, code: str, unit_price: float) -> str:
    """A Product2 with an active entry in the standard price book; returns the entry id."""
    with transaction.atomic():
        product = record_create("Product2", {"Name": name, "ProductCode": code, "IsActive": True})
        book = next(r for r in SfRecord.objects.filter(sobject="Pricebook2") if r.fields.get("IsStandard"))
        return record_create("PricebookEntry", {"Pricebook2Id": book.sf_id, "Product2Id": product,
                                                "UnitPrice": unit_price, "IsActive": True})


# -- Pub/Sub fault switches (the server's streams re-read the org while open) --------------------------
def pubsub_streams_drop() -> None:
    """Every Subscribe stream open now ends with UNAVAILABLE; new ones work."""
    SfOrg.objects.filter(pk=org_get().pk).update(pubsub_streams_dropped_at=timezone.now())


def pubsub_replay_ids_expire() -> None:
    """Everything on the bus so far falls outside retention: CUSTOM from an old replay id gets the
    corrupted-replay-id error, EARLIEST starts at the next event."""
    SfOrg.objects.filter(pk=org_get().pk).update(pubsub_replay_valid_after=timezone.now())


def cdc_entities_parse(text: str) -> str:
    """The canonical comma-separated list of CDC entities, or ValueError naming the unknown ones."""
    by_lower = {name.lower(): name for name in CDC_OBJECTS}
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    unknown = [n for n in names if n.lower() not in by_lower]
    if unknown:
        raise ValueError(f"Change Data Capture is not available for: {', '.join(unknown)} "
                         f"(choose from {', '.join(sorted(CDC_OBJECTS))}).")
    return ",".join(dict.fromkeys(by_lower[n.lower()] for n in names))
