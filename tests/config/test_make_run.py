"""`make run`, end to end (issue 13, "Done when"): on the embedded default (SQLite, ORM broker), a
fresh `migrate` + `ledgerlink_setup` + `ledgerlink_serve` brings up the web app, a worker cluster,
the Salesforce simulator's Pub/Sub server and the subscriber. A person sets an Opportunity to Closed
Won on the simulator's pages; the invoice is made from the change event the subscriber took off the
Pub/Sub stream (the demo's HTTP relay is off), and the dashboard shows the subscriber and its lag. An Order
activated on the pages goes the same way through the demo's generic flow (configuration only).
SIGTERM stops everything.

The values `make run` keeps in `.env` (python -m config.envfile) are given in the environment
instead, so the test writes nothing into the checkout.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.cluster import wait_until

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "make-run-" + "Pw9!" * 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port, pubsub_port = free_port(), free_port()
    database = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "make-run-" + "k3y-" * 12,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "LEDGERLINK_ADMIN_PASSWORD": PASSWORD,
        "LEDGERLINK_PUBLIC_URL": f"http://127.0.0.1:{port}", "SANDBOX_SALESFORCE_PUBSUB_PORT": str(pubsub_port),
    })
    for step in (["migrate", "--noinput"], ["ledgerlink_setup"]):
        done = subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"manage.py {step[0]}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen([sys.executable, "manage.py", "ledgerlink_serve", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def tail() -> str:
        log.seek(0)
        return log.read()[-4000:]

    try:
        yield base, database, process, tail
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
        log.close()


def db_rows(database: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def sf_records(database: Path, sobject: str) -> list[dict]:
    rows = db_rows(database, "SELECT sf_id, fields FROM sandbox_salesforce_sfrecord WHERE sobject = ? AND NOT is_deleted",
                   sobject)
    return [{"Id": sf_id, **json.loads(fields)} for sf_id, fields in rows]


def _up(base: str) -> bool:
    try:
        return requests.get(base + "/admin/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


class Page:
    """A person's browser on the simulator pages and the admin (cookies and CSRF as Django wants)."""

    def __init__(self, http: requests.Session, base: str):
        self.http, self.base = http, base

    def get(self, path: str) -> requests.Response:
        answer = self.http.get(self.base + path, timeout=60)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code}"
        return answer

    def post(self, path: str, data: dict, *, form_page: str | None = None) -> requests.Response:
        page = self.get(form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = self.http.post(self.base + path, data={**data, "csrfmiddlewaretoken": token},
                                headers={"Referer": self.base + (form_page or path)}, timeout=60, allow_redirects=False)
        assert answer.status_code in (200, 302), f"POST {path}: {answer.status_code} {answer.text[:500]}"
        return answer


@pytest.mark.slow  # runs manage.py migrate/ledgerlink_setup/ledgerlink_serve (web, cluster, subscriber, gRPC server)
def test_make_run_invoices_a_closed_won_deal_through_pubsub_and_shows_the_subscriber(served):
    base, database, process, tail = served
    # ready on day one (issue 16): the set-up made the default alert rules
    assert sorted(kind for (kind,) in db_rows(database, "SELECT kind FROM monitoring_alertrule WHERE enabled")) == [
        "auth_failing", "cursor_lag", "dead_letters_waiting", "sf_budget"]
    wait_until(lambda: _up(base), timeout=120, what=f"ledgerlink_serve answering\n{tail()}")
    # The subscriber holds its lease and has its Opportunity stream open before anyone writes.
    wait_until(lambda: db_rows(database, "SELECT 1 FROM integrations_pubsubsubscription WHERE topic = ? "
                                         "AND state = 'active'", "/data/OpportunityChangeEvent"),
               timeout=120, what=f"the subscriber's Opportunity stream active\n{tail()}")
    assert not db_rows(database, "SELECT 1 FROM sandbox_salesforce_sfsubscription WHERE active"), "the relay is off"

    with requests.Session() as http:
        person = Page(http, base)
        sf = "/sandbox/salesforce"
        person.post(f"{sf}/accounts/", {"Name": "Pubsub Works Inc"})
        (account,) = [a for a in sf_records(database, "Account") if a.get("Name") == "Pubsub Works Inc"]
        person.post(f"{sf}/opportunities/", {"Name": "Pub/Sub deal", "AccountId": account["Id"],
                                             "StageName": "Prospecting", "CloseDate": "2026-06-30"})
        (opp,) = [o for o in sf_records(database, "Opportunity") if o.get("Name") == "Pub/Sub deal"]
        entry = next(e["Id"] for e in sf_records(database, "PricebookEntry") if "Consulting" in (e.get("Name") or ""))
        page = f"{sf}/opportunities/{opp['Id']}/"
        person.post(page, {"action": "product", "PricebookEntryId": entry, "Quantity": "3", "UnitPrice": "150"})
        person.post(page, {"action": "stage", "StageName": "Closed Won"})

        def invoice_number():
            (won,) = [o for o in sf_records(database, "Opportunity") if o["Id"] == opp["Id"]]
            return won.get("FreshBooks_Invoice_Number__c")

        wait_until(invoice_number, timeout=120, what=f"the invoice number written back to the deal\n{tail()}")

        # The demo's generic flow (configuration only): an Order activated on the pages, read off its Pub/Sub
        # stream, becomes a FreshBooks invoice for the Account's client, its number written back to the Order.
        wait_until(lambda: db_rows(database, "SELECT 1 FROM integrations_pubsubsubscription WHERE topic = ? "
                                             "AND state = 'active'", "/data/OrderChangeEvent"),
                   timeout=120, what=f"the subscriber's Order stream active\n{tail()}")
        person.post(f"{sf}/orders/", {"AccountId": account["Id"], "EffectiveDate": "2026-07-01",
                                      "Description": "Make run order"})
        (order,) = sf_records(database, "Order")
        order_page = f"{sf}/orders/{order['Id']}/"
        person.post(order_page, {"action": "product", "Description": "Widget", "Quantity": "2", "UnitPrice": "150"})
        person.post(order_page, {"action": "status", "Status": "Activated"})

        def order_invoice_number():
            (activated,) = sf_records(database, "Order")
            return activated.get("FreshBooks_Invoice_Number__c")

        wait_until(order_invoice_number, timeout=120, what=f"the invoice number written back to the Order\n{tail()}")
        # The deal's change reached us as a Pub/Sub event (replay-id keyed), and nothing went over the relay.
        events = db_rows(database, "SELECT dedupe_key FROM integrations_inboundevent WHERE object_type = 'Opportunity' "
                                   "AND object_id = ?", opp["Id"])
        assert events and all(key.startswith("replay:") for (key,) in events), events
        assert not db_rows(database, "SELECT 1 FROM sandbox_salesforce_sfdelivery")

        login = person.get("/admin/login/?next=/admin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        signed_in = http.post(base + "/admin/login/?next=/admin/", data={
            "username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/admin/"},
            headers={"Referer": base + "/admin/login/"}, timeout=60, allow_redirects=False)
        assert signed_in.status_code == 302, signed_in.text[:1000]
        dashboard = person.get("/monitoring/dashboard/").text
        table = dashboard[dashboard.index('id="subscribers-table"'):]
        table = table[:table.index("</table>")]
        (row,) = [r for r in table.split("<tr>") if "/data/OpportunityChangeEvent" in r]
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert cells[2].startswith("active"), row
        assert cells[3] != "no event yet" and re.match(r"[\d.]+ ?(ms|s|min|h|d)\b", cells[3]), row  # the lag

    os.kill(process.pid, 15)
    process.wait(timeout=60)
    assert process.returncode == 0, tail()
