"""Match before create (flow 1's matcher, also used by flow 2 and the backfill).

Order: binding (done by the engine or the caller) → external reference
(Account.FreshBooks_Client_Id__c) → email → normalised organisation name. Two different
candidates at the same step are never guessed between: that is a FatalError asking a person
to link the right one, because creating a third record would make the duplicate worse.
"""
from __future__ import annotations

from ..connectors.salesforce.errors import RecordNotFound
from ..connectors.salesforce.soql import like_contains, soql_format
from ..errors import FatalError
from .common import email_normalise, org_name_normalise

CLIENT_REF_FIELD = "FreshBooks_Client_Id__c"


def _one(candidates: list[dict], what: str, key: str, id_key: str = "id"):
    ids = list(dict.fromkeys(str(c[id_key]) for c in candidates))
    if len(ids) > 1:
        raise FatalError(f"Several {what} match {key} (ids {', '.join(ids[:5])}): link the right one by hand "
                         "(or merge the duplicates), then replay.")
    return candidates[0] if candidates else None


def _name_word(name: str) -> str:
    """The longest word of the normalised name: a selective LIKE that still finds 'ACME Inc.' for 'Acme'."""
    words = org_name_normalise(name).split()
    return max(words, key=len) if words else ""


def _active(client: dict) -> bool:
    return int(client.get("vis_state") or 0) != 1


# -- FreshBooks clients for a Salesforce Account -------------------------------------------------
def freshbooks_client_match(fb, *, client_id=None, email: str = "", name: str = "") -> dict | None:
    if client_id:
        try:
            client = fb.clients.get(client_id)
        except FatalError as exc:
            if exc.http_status != 404:
                raise
            client = None
        if client and _active(client):
            return client
    email = email_normalise(email)
    if email:
        found = [c for c in fb.clients.list(search={"email": email}).items if _active(c)]
        if found:
            return _one(found, "FreshBooks clients", f"the email {email}")
    target, word = org_name_normalise(name), _name_word(name)
    if target and word:
        found = [c for c in fb.clients.iterate(search={"organization_like": word})
                 if _active(c) and org_name_normalise(c.get("organization")) == target]
        return _one(found, "FreshBooks clients", f"the organisation name “{name}”")
    return None


class FreshBooksClientIndex:
    """Every active client read once (100 per call), answering the same questions in memory:
    for the backfill, where one look-up call per record would cost more than the write."""

    def __init__(self, clients):
        self.by_id, self.by_email, self.by_name = {}, {}, {}
        for client in clients:
            self.add(client)

    def add(self, client: dict) -> None:
        if not _active(client):
            return
        self.by_id[str(client["id"])] = client
        if client.get("email"):
            self.by_email.setdefault(email_normalise(client["email"]), []).append(client)
        if client.get("organization"):
            self.by_name.setdefault(org_name_normalise(client["organization"]), []).append(client)

    def match(self, *, client_id=None, email: str = "", name: str = "") -> dict | None:
        if client_id and str(client_id) in self.by_id:
            return self.by_id[str(client_id)]
        email = email_normalise(email)
        if email and self.by_email.get(email):
            return _one(self.by_email[email], "FreshBooks clients", f"the email {email}")
        target = org_name_normalise(name)
        if target and self.by_name.get(target):
            return _one(self.by_name[target], "FreshBooks clients", f"the organisation name “{name}”")
        return None


# -- Salesforce Accounts for a FreshBooks client ----------------------------------------------------
def salesforce_account_match(sf, *, client_id=None, email: str = "", name: str = "") -> str | None:
    """The id of the Account this FreshBooks client is, or None."""
    if client_id:
        try:
            record = sf.get_by_external_id("Account", CLIENT_REF_FIELD, str(client_id))
        except RecordNotFound:
            record = None
        if record:
            return record["Id"]
    email = email_normalise(email)
    if email:
        rows = sf.query(soql_format("SELECT Id, AccountId FROM Contact WHERE Email = {email} AND AccountId != null "
                                    "LIMIT 20", email=email))["records"]
        if rows:
            return _one(rows, "Salesforce Accounts (through their contacts)", f"the email {email}", "AccountId")["AccountId"]
    target, word = org_name_normalise(name), _name_word(name)
    if target and word:
        rows = sf.query(soql_format("SELECT Id, Name FROM Account WHERE Name LIKE {like} LIMIT 200",
                                    like=like_contains(word)))["records"]
        found = [r for r in rows if org_name_normalise(r.get("Name")) == target]
        if found:
            return _one(found, "Salesforce Accounts", f"the name “{name}”", "Id")["Id"]
    return None
