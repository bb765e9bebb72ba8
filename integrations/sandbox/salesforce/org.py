"""The simulated org: created and seeded on first use (standard price book, opportunity
stages, the integration user), plus the API budget and fault switches."""
from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .ids import id_new
from .models import SfOrg, SfRecord, SfUser
from .values import sf_datetime, sf_now

# (label, IsClosed, IsWon, DefaultProbability, ForecastCategoryName) in sort order.
STAGES = [
    ("Prospecting", False, False, 10, "Pipeline"),
    ("Qualification", False, False, 10, "Pipeline"),
    ("Needs Analysis", False, False, 20, "Pipeline"),
    ("Value Proposition", False, False, 50, "Pipeline"),
    ("Id. Decision Makers", False, False, 60, "Pipeline"),
    ("Perception Analysis", False, False, 70, "Pipeline"),
    ("Proposal/Price Quote", False, False, 75, "Pipeline"),
    ("Negotiation/Review", False, False, 90, "Pipeline"),
    ("Closed Won", True, True, 100, "Closed"),
    ("Closed Lost", True, False, 0, "Omitted"),
]
INTEGRATION_USERNAME = "integration@ledgerlink.sandbox"


def org_get() -> SfOrg:
    org = SfOrg.objects.order_by("pk").first()
    if org is not None:
        return org
    with transaction.atomic():
        org = SfOrg.objects.select_for_update().order_by("pk").first()
        if org is None:
            org = SfOrg.objects.create(org_id=id_new("00D"))
            _seed()
    return org


def _seed() -> None:
    stamp = sf_now()
    now = sf_datetime(stamp)
    user = SfUser.objects.create(sf_id=id_new("005"), username=INTEGRATION_USERNAME, name="Integration User",
                                 email="integration@ledgerlink.sandbox")
    SfRecord.objects.create(sobject="User", sf_id=user.sf_id, system_modstamp=stamp, fields={
        "Id": user.sf_id, "Username": user.username, "Name": user.name, "Email": user.email, "IsActive": True,
        "SystemModstamp": now})
    pb_id = id_new("01s")
    SfRecord.objects.create(sobject="Pricebook2", sf_id=pb_id, system_modstamp=stamp, fields={
        "Id": pb_id, "Name": "Standard Price Book", "IsActive": True, "IsStandard": True, "Description": None,
        "IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now, "SystemModstamp": now,
        "CreatedById": user.sf_id, "LastModifiedById": user.sf_id})
    for order, (label, closed, won, probability, category) in enumerate(STAGES, start=1):
        stage_id = id_new("01J")
        SfRecord.objects.create(sobject="OpportunityStage", sf_id=stage_id, system_modstamp=stamp, fields={
            "Id": stage_id, "MasterLabel": label, "ApiName": label, "IsActive": True, "IsClosed": closed,
            "IsWon": won, "DefaultProbability": float(probability), "ForecastCategoryName": category,
            "SortOrder": order, "SystemModstamp": now})


def integration_user() -> SfUser:
    org_get()
    return SfUser.objects.get(username=INTEGRATION_USERNAME)


def stage_get(name: str) -> dict | None:
    for record in SfRecord.objects.filter(sobject="OpportunityStage"):
        if record.fields["ApiName"] == name and record.fields["IsActive"]:
            return record.fields
    return None


# -- API budget ---------------------------------------------------------------------------
def api_budget_spend() -> tuple[bool, int, int]:
    """Count one API call. Returns (allowed, used, limit); a refused call is not counted."""
    org = org_get()
    today = timezone.localdate()
    if org.api_window_day != today:
        SfOrg.objects.filter(pk=org.pk).exclude(api_window_day=today).update(api_used=0, api_window_day=today)
    spent = SfOrg.objects.filter(pk=org.pk, api_used__lt=F("api_daily_limit")).update(api_used=F("api_used") + 1)
    org.refresh_from_db(fields=["api_used", "api_daily_limit"])
    return bool(spent), org.api_used, org.api_daily_limit


def api_usage() -> tuple[int, int]:
    org = org_get()
    return org.api_used, org.api_daily_limit


def fault_take(name: str) -> bool:
    """Consume one injected fault of this kind (atomic across processes)."""
    org = org_get()
    return bool(SfOrg.objects.filter(pk=org.pk, **{f"{name}__gt": 0}).update(**{name: F(name) - 1}))
