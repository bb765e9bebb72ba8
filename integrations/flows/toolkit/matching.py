"""Match before create (flow 1's matcher, also used by flow 2 and the backfill).

Order: binding (done by the engine or the caller) → external reference
(Account.FreshBooks_Client_Id__c) → email → normalised organisation name. Two different
candidates at the same step are never guessed between: that is a FatalError asking a person
to link the right one, because creating a third record would make the duplicate worse.
"""
from __future__ import annotations


from integrations.connectors.salesforce.errors import RecordNotFound
from integrations.connectors.salesforce.soql import like_contains, soql_format
from integrations.errors import FatalError
from mappings.normalise import (
    email_normalise,
    org_name_normalise,
)

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
    return account_match(_SalesforceAccounts(sf), client_id=client_id, email=email, name=name)


def account_match(accounts, *, client_id=None, email: str = "", name: str = "") -> str | None:
    """The matching rules, whichever way the candidates are read: ``accounts`` answers three
    questions (one query each in _SalesforceAccounts; from memory in SalesforceAccountIndex)."""
    if client_id:
        found = accounts.with_reference(str(client_id))
        if found:
            return _one(found, "Salesforce Accounts", f"the FreshBooks client id {client_id}", "Id")["Id"]
    email = email_normalise(email)
    if email:
        rows = accounts.with_contact_email(email)
        if rows:
            return _one(rows, "Salesforce Accounts (through their contacts)", f"the email {email}", "AccountId")["AccountId"]
    target = org_name_normalise(name)
    if target:
        found = [r for r in accounts.named_like(name) if org_name_normalise(r.get("Name")) == target]
        if found:
            return _one(found, "Salesforce Accounts", f"the name “{name}”", "Id")["Id"]
    return None


class _SalesforceAccounts:
    """One query per question: the engine's path, one client at a time."""

    def __init__(self, sf):
        self.sf = sf

    def with_reference(self, client_id: str) -> list[dict]:
        try:
            record = self.sf.get_by_external_id("Account", CLIENT_REF_FIELD, client_id)
        except RecordNotFound:
            record = None
        return [record] if record else []

    def with_contact_email(self, email: str) -> list[dict]:
        return self.sf.query(soql_format("SELECT Id, AccountId FROM Contact WHERE Email = {email} AND AccountId != null "
                                         "LIMIT 20", email=email))["records"]

    def named_like(self, name: str) -> list[dict]:
        return self.sf.query(soql_format("SELECT Id, Name FROM Account WHERE Name LIKE {like} LIMIT 200",
                                         like=like_contains(_name_word(name))))["records"]


class SalesforceAccountIndex:
    """The Accounts a page of FreshBooks clients may match, read in at most three queries (their
    ids as external references, their emails on contacts, their names' longest words, as IN
    lists and LIKEs joined by OR) instead of up to three per client: for the backfill."""

    def __init__(self):
        self.by_ref, self.by_email, self.by_name = {}, {}, {}

    @classmethod
    def read(cls, sf, clients: list[dict]) -> SalesforceAccountIndex:
        index = cls()
        refs = sorted({str(c["id"]) for c in clients})
        emails = sorted({email_normalise(c.get("email")) for c in clients} - {""})
        words = sorted({_name_word(c.get("organization")) for c in clients} - {""})
        if refs:
            soql = soql_format(f"SELECT Id, Name, {CLIENT_REF_FIELD} FROM Account WHERE {CLIENT_REF_FIELD} IN {{refs}}",
                               refs=refs)
            for row in sf.query_all(soql):
                index.by_ref.setdefault(str(row[CLIENT_REF_FIELD]), []).append(row)
        if emails:
            soql = soql_format("SELECT Id, AccountId, Email FROM Contact WHERE Email IN {emails} AND AccountId != null",
                               emails=emails)
            for row in sf.query_all(soql):
                index.by_email.setdefault(email_normalise(row["Email"]), []).append(row)
        if words:
            likes = {f"w{n}": like_contains(word) for n, word in enumerate(words)}
            soql = soql_format("SELECT Id, Name FROM Account WHERE " + " OR ".join(f"Name LIKE {{{k}}}" for k in likes),
                               **likes)
            for row in sf.query_all(soql):
                index.by_name.setdefault(org_name_normalise(row["Name"]), []).append(row)
        return index

    def add(self, account_id: str, *, client_id=None, email: str = "", name: str = "") -> None:
        """An Account made (or about to be made) in this run, so later clients find it."""
        if client_id:
            self.by_ref.setdefault(str(client_id), []).append({"Id": account_id})
        if email_normalise(email):
            self.by_email.setdefault(email_normalise(email), []).append({"Id": "", "AccountId": account_id})
        if org_name_normalise(name):
            self.by_name.setdefault(org_name_normalise(name), []).append({"Id": account_id, "Name": name})

    def with_reference(self, client_id: str) -> list[dict]:
        return self.by_ref.get(client_id, [])

    def with_contact_email(self, email: str) -> list[dict]:
        return self.by_email.get(email, [])

    def named_like(self, name: str) -> list[dict]:
        return self.by_name.get(org_name_normalise(name), [])
