from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from integrations.connectors.freshbooks.values import (
    accounting_datetime, accounting_datetime_text, money_amount, money_value, search_day,
)


def test_money_is_decimal_never_float():
    assert money_amount({"amount": "7.60133524082021936099189318", "code": "CAD"}) == Decimal("7.60133524082021936099189318")
    assert money_amount({"amount": 10, "code": "CAD"}) == Decimal(10)
    assert money_amount(0.1) == Decimal("0.1")
    assert money_amount(None) is None
    assert money_value(Decimal("1222"), "USD") == {"amount": "1222.00", "code": "USD"}
    assert money_value("0.125", "USD") == {"amount": "0.13", "code": "USD"}
    with pytest.raises(ValueError):
        money_amount({"amount": "ten"})


def test_accounting_datetimes_are_us_eastern():
    # The SDK's own example: client "updated": "2020-11-01 13:11:10" is 18:11:10Z (EST, after DST ended).
    assert accounting_datetime("2020-11-01 13:11:10", resource="client", field="updated") == datetime(
        2020, 11, 1, 18, 11, 10, tzinfo=timezone.utc)
    assert accounting_datetime("2021-04-16 10:31:19") == datetime(2021, 4, 16, 14, 31, 19, tzinfo=timezone.utc)  # EDT


def test_utc_exceptions():
    assert accounting_datetime("2020-10-31 15:25:34", resource="client", field="signup_date") == datetime(
        2020, 10, 31, 15, 25, 34, tzinfo=timezone.utc)
    assert accounting_datetime("2017-08-23T11:45:09Z") == datetime(2017, 8, 23, 11, 45, 9, tzinfo=timezone.utc)
    assert accounting_datetime("2023-01-01 10:00:00", resource="bill", field="updated_at").hour == 10


def test_writing_and_searching():
    moment = datetime(2024, 1, 2, 3, 0, tzinfo=timezone.utc)
    assert accounting_datetime_text(moment) == "2024-01-01 22:00:00"
    assert search_day(moment) == "2024-01-01"  # still the 1st in the account's day
    assert search_day(date(2024, 1, 2)) == "2024-01-02"
    with pytest.raises(ValueError):
        search_day(datetime(2024, 1, 2))
