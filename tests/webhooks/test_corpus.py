"""The malformed-input corpus (tests/webhooks/corpus.py) against all four receivers: never a 5xx,
every refusal a 4xx with a sentence and nothing stored, every valid control stored exactly once
(sent twice), nothing stored earlier changed. Runs on SQLite and PostgreSQL alike."""
import re

import pytest

from integrations.connectors.freshbooks.webhooks import signature_compute
from integrations.connectors.shop.order import signature_base64
from integrations.models import InboundEvent
from tests.factories import ConnectionFactory
from tests.webhooks.conftest import SECRET
from tests.webhooks.corpus import FB_ACCOUNT, SYSTEMS, Case, corpus

pytestmark = pytest.mark.django_db
VERIFIER = "corpus-verifier-0123456789"
SIGNATURE_HEADERS = {"freshbooks": "X-FreshBooks-Hmac-SHA256", "salesforce": "X-Ledgerlink-Signature",
                     "shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature"}
TOPICS = {"shopify": {"X-Shopify-Topic": "orders/create"}, "woocommerce": {"X-WC-Webhook-Topic": "order.created"}}
SENTENCE = re.compile(r"^[A-Z\"'].*\w.*\s\w")


def receiver_connection(system: str):
    if system == "freshbooks":
        connection = ConnectionFactory(system=system, settings={"account_id": FB_ACCOUNT})
        connection.set_secrets(webhook_verifiers={"7": VERIFIER})
    else:
        connection = ConnectionFactory(system=system, base_url="", auth_kind="shared_secret")
        connection.set_secrets(webhook_secret=SECRET)
    connection.save()
    return connection


def send(client, connection, case: Case):
    headers = dict(TOPICS.get(case.system, {}))
    if case.sign and case.system == "freshbooks":
        if case.form_pairs:
            headers[SIGNATURE_HEADERS["freshbooks"]] = signature_compute(VERIFIER, case.form_pairs)
    elif case.sign:
        headers[SIGNATURE_HEADERS[case.system]] = signature_base64(SECRET, case.body)
    headers.update(case.headers)
    return client.post(f"/api/webhooks/{case.system}/{connection.pk}/", data=case.body, content_type=case.content_type,
                       headers=headers, **case.meta)


def snapshot() -> dict:
    return {e.pk: (e.dedupe_key, e.payload, e.duplicate_count) for e in InboundEvent.objects.all()}


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_corpus_gets_no_5xx_and_loses_nothing(client, settings, system):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 0  # the corpus is one sender's burst; the limit has its own tests
    connection = receiver_connection(system)
    cases = corpus(system)
    assert len(cases) >= 60
    failures, accepted = [], {}
    for case in cases:
        before = snapshot()
        response = send(client, connection, case)
        status, answer = response.status_code, response.json() if response.content else {}
        if status >= 500:
            failures.append(f"{case.label}: {status}")
        elif case.valid:
            new = {pk: row for pk, row in snapshot().items() if pk not in before}
            again = send(client, connection, case)
            if not (200 <= status < 300 and len(new) == 1 and 200 <= again.status_code < 300
                    and InboundEvent.objects.count() == len(before) + 1):
                failures.append(f"{case.label}: valid control answered {status}/{again.status_code} {answer}, "
                                f"stored {len(new)} new")
            accepted.update(new)
        else:
            error = answer.get("error", "") if isinstance(answer, dict) else ""
            if not (400 <= status < 500 and SENTENCE.match(error)):
                failures.append(f"{case.label}: answered {status} {answer!r:.200}")
            if snapshot() != before:
                failures.append(f"{case.label}: refused, yet the stored events changed")
    assert failures == [], "\n".join(failures)
    assert accepted, "no valid control was stored"
    stored = snapshot()
    for pk, (key, payload, _) in accepted.items():  # nothing accepted was lost or rewritten afterwards
        assert stored[pk][:2] == (key, payload)


def test_the_corpus_is_large_and_covers_every_class():
    cases = corpus()
    assert len(cases) >= 300 and {c.system for c in cases} == set(SYSTEMS)
    kinds = {c.kind for c in cases}
    assert {"deep-nesting", "wrong-shape", "non-ascii-signature", "nul-or-surrogate-in-json", "nul-in-form",
            "invalid-utf8-bytes", "invalid-content-length", "order-id", "valid", "valid-odd-text"} <= kinds


def test_an_event_holding_odd_characters_renders_in_the_admin(client, admin_user):
    stored = []
    for system in SYSTEMS:
        connection = receiver_connection(system)
        for case in (c for c in corpus(system) if c.kind == "valid-odd-text"):
            assert send(client, connection, case).status_code in (200, 201, 202), case.label
            stored.append(InboundEvent.objects.order_by("-pk").values_list("pk", flat=True).first())
    assert len(set(stored)) == len(stored) >= 30
    client.force_login(admin_user)
    for pk in stored:
        page = client.get(f"/admin/integrations/inboundevent/{pk}/change/")
        assert page.status_code == 200, pk
    # and a lone surrogate, which no page could show, is refused before it is stored
    connection = receiver_connection("salesforce")
    lone = next(c for c in corpus("salesforce") if c.kind == "nul-or-surrogate-in-json" and c.name == "value-2")
    response = send(client, connection, lone)
    assert response.status_code == 400 and "lone surrogate" in response.json()["error"]
