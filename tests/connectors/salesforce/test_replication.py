"""getDeleted / getUpdated window rules, in the simulator and in the connector, over real HTTP."""
from __future__ import annotations

from datetime import timedelta
from datetime import timezone as dt_timezone

from unittest.mock import ANY

import pytest
from django.utils import timezone

from integrations.connectors.salesforce.replication import ReplicationGap, sf_datetime_parse, utc_minute
from integrations.errors import FatalError
from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfDeleteLog
from monitoring.models import ApiCall

pytestmark = pytest.mark.django_db(transaction=True)


def iso(value) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def raw(sf, kind: str, start, end):
    """The simulator's answer, asked directly (no connector rules in between)."""
    return sf.restful(f"sobjects/Account/{kind}/", params={"start": iso(start), "end": iso(end)})


def refused(sf, kind, start, end) -> dict:
    with pytest.raises(FatalError) as error:
        raw(sf, kind, start, end)
    assert error.value.http_status == 400
    return error.value.detail


@pytest.fixture
def deletes(sf):
    """Three deleted Accounts, deleted 20, 12 and 3 minutes ago (at 30 seconds past the minute)."""
    now = utc_minute(timezone.now())
    ids = [sf.create("Account", {"Name": f"Gone {n}"}) for n in range(3)]
    for record_id, minutes in zip(ids, (20, 12, 3)):
        sf.delete("Account", record_id)
        SfDeleteLog.objects.filter(sf_id=record_id).update(deleted_at=now - timedelta(minutes=minutes, seconds=-30))
    return ids


def test_simulator_answers_by_the_documented_rules(sf, deletes):
    now = timezone.now()
    # start must precede end by more than one minute (whole minutes: seconds are ignored)
    assert refused(sf, "deleted", now - timedelta(minutes=1), now)["errorCode"] == "INVALID_REPLICATION_DATE"
    assert "more than one minute" in refused(sf, "deleted", now, now - timedelta(minutes=5))["message"]
    # getDeleted reaches back 15 days, getUpdated 30
    assert "15 days" in refused(sf, "deleted", now - timedelta(days=16), now)["message"]
    assert raw(sf, "updated", now - timedelta(days=16), now) == {"ids": [], "latestDateCovered": ANY}
    assert "30 days" in refused(sf, "updated", now - timedelta(days=31), now)["message"]
    # seconds are ignored: a start 15 s after the first delete still covers it; an end in the
    # future is covered up to now
    first = SfDeleteLog.objects.get(sf_id=deletes[0]).deleted_at
    answer = raw(sf, "deleted", first + timedelta(seconds=15), now + timedelta(hours=1))
    assert [r["id"] for r in answer["deletedRecords"]] == deletes
    assert sf_datetime_parse(answer["latestDateCovered"]) == utc_minute(timezone.now())
    assert answer["earliestDateAvailable"].endswith(":00.000+0000")
    # deletes still in flight are not covered: latestDateCovered stops before them
    sim.org_configure(replication_lag_minutes=7)
    lagging = raw(sf, "deleted", now - timedelta(minutes=30), now)
    assert [r["id"] for r in lagging["deletedRecords"]] == deletes[:2]
    assert sf_datetime_parse(lagging["latestDateCovered"]) < now - timedelta(minutes=6)
    sim.org_configure(replication_lag_minutes=0, replication_id_limit=2)
    assert refused(sf, "deleted", now - timedelta(minutes=30), now)["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_simulator_delete_log_purge_either_refuses_or_says_so(sf, deletes):
    now = timezone.now()
    sim.delete_log_purge(before=utc_minute(now) - timedelta(minutes=15))
    detail = refused(sf, "deleted", now - timedelta(minutes=30), now)
    assert detail["errorCode"] == "INVALID_REPLICATION_DATE" and "purged" in detail["message"]
    sim.org_configure(purged_window_error=False)
    answer = raw(sf, "deleted", now - timedelta(minutes=30), now)
    assert [r["id"] for r in answer["deletedRecords"]] == deletes[1:]
    assert sf_datetime_parse(answer["earliestDateAvailable"]) == utc_minute(now) - timedelta(minutes=15)


def calls() -> int:
    return ApiCall.objects.filter(operation="Account.deleted").count()


def test_client_short_or_too_old_windows_make_no_call(sf, deletes):
    now = timezone.now()
    short = sf.deleted("Account", now - timedelta(seconds=50), now)  # at most one whole minute
    assert (short.records, short.latest_covered, calls()) == ([], utc_minute(now - timedelta(seconds=50)), 0)
    with pytest.raises(ReplicationGap, match="15 days only") as gap:
        sf.deleted("Account", now - timedelta(days=20), now)
    assert gap.value.resume_at == utc_minute(now) - timedelta(days=15) + timedelta(minutes=1) and calls() == 0


def test_client_next_window_starts_at_latest_date_covered(sf, deletes):
    now = timezone.now()
    sim.org_configure(replication_lag_minutes=7)
    first = sf.deleted("Account", now - timedelta(minutes=30), now)
    assert [r.id for r in first.records] == deletes[:2] and first.latest_covered < now - timedelta(minutes=6)
    sim.org_configure(replication_lag_minutes=0)
    second = sf.deleted("Account", first.latest_covered, now)
    assert [r.id for r in second.records] == deletes[2:]  # the one in flight, once, in the next window
    assert second.records[0].at == SfDeleteLog.objects.get(sf_id=deletes[2]).deleted_at


def test_client_splits_a_window_over_the_id_limit(sf, deletes):
    sim.org_configure(replication_id_limit=2)
    now = timezone.now()
    result = sf.deleted("Account", now - timedelta(minutes=30), now)
    assert [r.id for r in result.records] == deletes
    assert calls() == 3  # refused once, then the two halves


def test_client_reports_a_purged_delete_log_as_a_gap(sf, deletes):
    now = timezone.now()
    purged = utc_minute(now) - timedelta(minutes=15)
    sim.delete_log_purge(before=purged)
    with pytest.raises(ReplicationGap, match="purged") as refused_gap:
        sf.deleted("Account", now - timedelta(minutes=30), now)
    assert refused_gap.value.resume_at is None
    sim.org_configure(purged_window_error=False)
    with pytest.raises(ReplicationGap, match="purged") as answered_gap:
        sf.deleted("Account", now - timedelta(minutes=30), now)
    assert answered_gap.value.resume_at == purged
    assert [r.id for r in sf.deleted("Account", purged, now).records] == deletes[1:]
