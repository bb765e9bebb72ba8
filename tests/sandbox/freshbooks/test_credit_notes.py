"""Credit notes in the FreshBooks simulator (issue 18): the reference lists the resource but not its create
body, so the simulator takes the invoice's own fields, computes the amount from the lines, refuses a credit
of nothing, and can refuse creation altogether (account option ``credit_notes_writable``). Real HTTP."""
from __future__ import annotations

import pytest
import requests

from integrations.sandbox.freshbooks.models import SimAccount
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def call(fb):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fb.token().access_token}"
    base = fb.url(f"accounting/account/{fb.account.account_id}/")
    yield lambda method, path, **kwargs: session.request(method, base + path, timeout=10, **kwargs)
    session.close()


def test_a_credit_note_is_created_for_a_client_with_its_amount_from_the_lines(fb, call):
    client = call("POST", "users/clients", json={"client": {"organization": "Refunds Ltd"}}).json()
    client_id = client["response"]["result"]["client"]["id"]
    lines = [{"name": "Refund of order 1001", "qty": "1", "unit_cost": {"amount": "12.41", "code": "USD"}}]
    answer = call("POST", "credit_notes/credit_notes", json={"credit_note": {
        "clientid": client_id, "create_date": "2026-12-01", "description": "Refund 1 of shop order 1001", "lines": lines}})
    assert answer.status_code == 200, answer.text
    credit = answer.json()["response"]["result"]["credit_note"]
    assert credit["amount"] == {"amount": "12.41", "code": "USD"} and credit["clientid"] == client_id
    listed = call("GET", "credit_notes/credit_notes").json()["response"]["result"]["credit_notes"]
    assert [c["id"] for c in listed] == [credit["id"]]

    nothing = call("POST", "credit_notes/credit_notes", json={"credit_note": {
        "clientid": client_id, "create_date": "2026-12-01", "lines": [{**lines[0], "unit_cost": {"amount": "0"}}]}})
    assert nothing.status_code == 422 and "more than zero" in nothing.text
    no_client = call("POST", "credit_notes/credit_notes", json={"credit_note": {"create_date": "2026-12-01",
                                                                                "lines": lines}})
    assert no_client.status_code == 422 and "clientid" in no_client.text

    SimAccount.objects.filter(pk=fb.account.pk).update(options={"credit_notes_writable": False})
    refused = call("POST", "credit_notes/credit_notes", json={"credit_note": {
        "clientid": client_id, "create_date": "2026-12-01", "lines": lines}})
    assert refused.status_code == 405 and "cannot be created" in refused.text
