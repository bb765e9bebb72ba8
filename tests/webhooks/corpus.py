"""A corpus of malformed (and a few valid) deliveries for the four public webhook receivers.

Every class of input that once answered 5xx (issue 14, item 5), in several variants each:
deep JSON nesting, wrong-shaped JSON, non-ASCII signature headers, NUL and lone surrogates in
JSON strings, ``%00`` in form fields, surrogate and other invalid UTF-8 bytes, invalid
Content-Length, order ids that are not positive whole numbers, bodies that are not JSON or
not form data — plus valid controls (some with odd but storable characters) that must be
stored exactly once. A case is signed with the connection's key when it must get past the
signature check to reach the parser (``sign=True``); the runner signs it.

``corpus()`` yields Case objects; tests/webhooks/test_corpus.py posts them.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

SYSTEMS = ("freshbooks", "salesforce", "shopify", "woocommerce")
FB_ACCOUNT = "ACC1"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class Case:
    system: str
    kind: str  # the class of input (what the case is an example of)
    name: str
    body: bytes
    sign: bool = True  # sign with the connection's key (FreshBooks: the form pairs; others: the body)
    valid: bool = False  # a control: answered 2xx and stored once
    content_type: str = JSON_TYPE
    headers: dict = field(default_factory=dict)  # extra (or overriding) headers
    meta: dict = field(default_factory=dict)  # WSGI environ overrides, e.g. CONTENT_LENGTH
    form_pairs: list | None = None  # FreshBooks: the pairs the signature is computed over

    @property
    def label(self) -> str:
        return f"{self.system}/{self.kind}/{self.name}"


def _json(value) -> bytes:
    return json.dumps(value).encode()


# --- building blocks ----------------------------------------------------------------------

def sf_event(replay: int, record: str = "0015g00000ABCDEAAA", **fields) -> dict:
    return {"data": {"schema": "s1", "payload": {
        "ChangeEventHeader": {"entityName": "Account", "recordIds": [record], "changeType": "UPDATE",
                              "changedFields": ["Name"], "changeOrigin": "com/salesforce/api/rest/62.0",
                              "transactionKey": f"tk-{replay}", "sequenceNumber": 1, "commitTimestamp": 1714172795000},
        "Name": "Acme", **fields}, "event": {"replayId": replay}}, "channel": "/data/AccountChangeEvent"}


def shopify_order(order_id=4001, **over) -> dict:
    return {"id": order_id, "name": "#1001", "email": "jane@example.com", "currency": "EUR",
            "created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z", "financial_status": "paid",
            "customer": {"id": 7012345678901234567, "first_name": "Jane"}, "billing_address": {"city": "Ghent"},
            "line_items": [{"id": 13012345678901234567, "sku": "W", "title": "Widget", "quantity": 2, "price": "9.99"}],
            "subtotal_price": "19.98", "total_tax": "0.00", "total_price": "19.98",
            "total_shipping_price_set": {"shop_money": {"amount": "0.00"}}, **over}


def woo_order(order_id=727, **over) -> dict:
    return {"id": order_id, "number": str(order_id), "status": "processing", "currency": "USD",
            "date_created_gmt": "2026-03-01T08:59:00", "date_modified_gmt": "2026-03-01T09:00:00",
            "billing": {"email": "sam@example.com", "first_name": "Sam"}, "customer_id": 12,
            "line_items": [{"id": 31, "name": "Widget", "sku": "W", "quantity": 2, "subtotal": "39.98",
                            "total": "39.98", "price": 19.99}],
            "total_tax": "0.00", "shipping_total": "0.00", "total": "39.98", **over}


def fb_pairs(name="client.update", object_id="1", **extra) -> list[tuple[str, str]]:
    pairs = [("name", name), ("object_id", object_id), ("account_id", FB_ACCOUNT), ("business_id", "1"),
             ("identity_id", "1"), ("user_id", "1")]
    return pairs + list(extra.items())


def fb_case(kind, name, pairs, *, sign=True, valid=False, raw: bytes | None = None, **kw) -> Case:
    body = raw if raw is not None else urlencode(pairs).encode()
    return Case("freshbooks", kind, name, body, sign=sign, valid=valid, content_type=FORM_TYPE,
                form_pairs=pairs, **kw)


def nested(depth: int, shape: str) -> bytes:
    if shape == "list":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


ODD_TEXT = ["emoji 🧾💶", "right-to-left \u202eevil\u202c", "zero\u200bwidth", "<script>alert(1)</script>",
            "control \x01\x1f chars", "nonchar \uffff\ufffe", "ümlaut façade ß", "line\nbreak\ttab"]

NOT_POSITIVE_IDS = ["NaN", "1.5", "-1", "0", str(2**80), '"abc"', '"1e3"', "true", "false", '"-5"', '" 12 "',
                    '"\u0663"', "1.0", "1e3", "[1]", '{"a": 1}', '"0x10"', '"+7"', str(2**64), "-0"]
HOSTILE_SIGNATURES = ["é", "ÿ" * 44, "sha256=ü", "\u00a0", "Ã©Ã©==", "\xff\xfe"]
BAD_LENGTHS = ["abc", "-1", "1e3", "12abc", "0x10", "99999999999999999999"]
SURROGATE_BYTES = [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xff", b"\xc0\x80", b"\xf4\x90\x80\x80"]
NUL_AND_SURROGATE_ESCAPES = ["\\u0000", "a\\u0000b", "\\ud800", "\\udfff", "x\\udc80y", "\\ud83d"]


# --- the corpus ---------------------------------------------------------------------------

def _deep(system: str) -> Iterator[Case]:
    for depth in (65, 100, 500, 1000, 2000, 5000, 20000):
        for shape in ("list", "object"):
            yield Case(system, "deep-nesting", f"{shape}-{depth}", nested(depth, shape))
    if system == "salesforce":  # nested inside an otherwise valid event
        yield Case(system, "deep-nesting", "inside-event", _json(sf_event(1)).replace(b'"Acme"', nested(3000, "list")))


def _escapes(system: str, make) -> Iterator[Case]:
    for i, escape in enumerate(NUL_AND_SURROGATE_ESCAPES):
        body = make(900 + i).replace(b'"Widget"' if system != "salesforce" else b'"Acme"', f'"{escape}"'.encode())
        yield Case(system, "nul-or-surrogate-in-json", f"value-{i}", body)
        yield Case(system, "nul-or-surrogate-in-json", f"key-{i}",
                   body.replace(b'{"', f'{{"{escape}": 1, "'.encode(), 1))


def _bytes(system: str, make) -> Iterator[Case]:
    for i, raw in enumerate(SURROGATE_BYTES):
        yield Case(system, "invalid-utf8-bytes", f"in-string-{i}", make(950 + i).replace(b'"EUR"' if system == "shopify"
                   else b'"USD"' if system == "woocommerce" else b'"Acme"', b'"' + raw + b'"'))


def _common(system: str, valid_body: bytes, signature_header: str) -> Iterator[Case]:
    content_type = FORM_TYPE if system == "freshbooks" else JSON_TYPE
    for i, value in enumerate(HOSTILE_SIGNATURES):
        yield Case(system, "non-ascii-signature", f"sig-{i}", valid_body, sign=False, content_type=content_type,
                   headers={signature_header: value})
    if system == "salesforce":
        for i, value in enumerate(HOSTILE_SIGNATURES[:3]):
            yield Case(system, "non-ascii-signature", f"bearer-{i}", valid_body, sign=False,
                       headers={"Authorization": f"Bearer {value}"})
    for i, length in enumerate(BAD_LENGTHS):
        yield Case(system, "invalid-content-length", f"length-{i}", valid_body, sign=False, content_type=content_type,
                   meta={"CONTENT_LENGTH": length})
    for i, body in enumerate([b"", b"{", b'{"a": }', b"null", b"\x00\x01\x02", b"x" * 100, b'"just a string"']):
        yield Case(system, "not-json-or-form", f"body-{i}", body, content_type=content_type,
                   form_pairs=[] if system == "freshbooks" else None)


def freshbooks_cases() -> Iterator[Case]:
    for i in range(4):
        yield fb_case("valid", f"update-{i}", fb_pairs(object_id=str(100 + i)), valid=True)
    for i, text in enumerate(ODD_TEXT):
        yield fb_case("valid-odd-text", f"odd-{i}", fb_pairs(object_id=str(200 + i), note=text), valid=True)
    for i, (key, value) in enumerate([("name", "client.up\x00date"), ("object_id", "1\x00"), ("account_id", "\x00"),
                                      ("business_id", "\x00\x00"), ("note", "a\x00b"), ("user_id", "\x00")]):
        pairs = [(k, value if k == key else v) for k, v in fb_pairs(object_id="300", note="x")]
        yield fb_case("nul-in-form", f"{key}-{i}", pairs)
        yield fb_case("nul-in-form", f"{key}-{i}-unsigned", pairs, sign=False)
    yield fb_case("nul-in-form", "nul-in-name", [("na\x00me", "client.update")] + fb_pairs()[1:])
    for i, raw in enumerate(SURROGATE_BYTES):
        body = b"name=client.update&object_id=1&account_id=ACC1&note=" + raw
        yield fb_case("invalid-utf8-bytes", f"raw-{i}", [], raw=body, sign=False)
        yield fb_case("invalid-utf8-bytes", f"percent-{i}", fb_pairs(object_id=str(400 + i), note="x"),
                      raw=urlencode(fb_pairs(object_id=str(400 + i))).encode() + b"&note=" + quote(raw).encode(),
                      sign=False)
    yield fb_case("nul-in-form", "raw-percent-00", [], raw=b"name=client.update&object_id=1&account_id=ACC1&note=%00",
                  sign=False)
    for depth in (100, 2000):  # form fields do not nest: brackets are text, stored as sent
        yield fb_case("valid-odd-text", f"brackets-{depth}", fb_pairs(object_id=str(500 + depth), note="[" * depth),
                      valid=True)
    for i, shape in enumerate(["name=client.update", "object_id=1", "a=1&&b", "=", "&&&", "name&object_id",
                               "name=client.update&object_id=1&account_id=OTHER" + "x" * 5000]):
        yield fb_case("wrong-shape", f"form-{i}", [], raw=shape.encode(), sign=False)
    # Strangers' verification requests: unknown callback, self-signed, for a verified callback.
    for i, callback in enumerate(["999", "7", "-1", "abc", "1" * 100]):
        pairs = fb_pairs(name="callback.verify", object_id=callback, verifier=f"planted-verifier-{i:04d}")
        yield fb_case("unsolicited-verification", f"callback-{i}", pairs, sign=False)
    yield from _common("freshbooks", urlencode(fb_pairs()).encode(), "X-FreshBooks-Hmac-SHA256")


def salesforce_cases() -> Iterator[Case]:
    for i in range(4):
        yield Case("salesforce", "valid", f"event-{i}", _json(sf_event(10 + i)), valid=True)
    for i, text in enumerate(ODD_TEXT):
        yield Case("salesforce", "valid-odd-text", f"odd-{i}", _json(sf_event(20 + i, Name=text)), valid=True)
    yield from _deep("salesforce")
    yield from _escapes("salesforce", lambda n: _json(sf_event(n)))
    yield from _bytes("salesforce", lambda n: _json(sf_event(n)))
    header = sf_event(1)["data"]["payload"]["ChangeEventHeader"]
    shapes = [[], [1], ["x"], {}, {"data": []}, {"data": {"payload": "x"}}, {"payload": [1]},
              {"ChangeEventHeader": []}, {"ChangeEventHeader": {**header, "recordIds": "x"}},
              {"ChangeEventHeader": {**header, "recordIds": [1]}}, {"ChangeEventHeader": {**header, "recordIds": []}},
              {"ChangeEventHeader": {**header, "changeType": ["UPDATE"]}},
              {"ChangeEventHeader": {**header, "changeType": "x" * 5000}},
              {"ChangeEventHeader": {**header, "entityName": {"a": 1}}},
              {"ChangeEventHeader": {**header, "changedFields": "Name"}},
              {"ChangeEventHeader": {**header, "changedFields": [1]}},
              {"ChangeEventHeader": {**header, "changedFields": ["zz-0x1"]}},
              {"ChangeEventHeader": {**header, "changedFields": ["²-0x1"]}},
              {"ChangeEventHeader": {**header, "changedFields": ["0x" + "f" * 5000]}},
              {"ChangeEventHeader": {**header, "changedFields": ["0x1" + "0" * 20000]}},
              {"ChangeEventHeader": {**header, "changedFields": ["9" * 5000 + "-0x1"]}},
              {"ChangeEventHeader": {**header, "transactionKey": None}},
              {"ChangeEventHeader": {**header, "transactionKey": "", "sequenceNumber": None}}]
    for i, shape in enumerate(shapes):
        yield Case("salesforce", "wrong-shape", f"shape-{i}", _json(shape))
    for i, number in enumerate(["NaN", "Infinity", "-Infinity", "1" * 5000]):
        yield Case("salesforce", "wrong-shape", f"number-{i}", _json(sf_event(60 + i)).replace(b'"Acme"', number.encode()))
    yield from _common("salesforce", _json(sf_event(1)), "X-Ledgerlink-Signature")


def _shop_cases(system: str, order, signature_header: str, id_header: str) -> Iterator[Case]:
    def case(kind, name, body, **kw):
        headers = {id_header: f"{kind}-{name}", **kw.pop("headers", {})}
        return Case(system, kind, name, body, headers=headers, **kw)

    for i in range(4):
        yield case("valid", f"order-{i}", _json(order(order_id=5000 + i)), valid=True)
    customer = "billing" if system == "woocommerce" else "customer"
    for i, text in enumerate(ODD_TEXT):  # in fields the stored order keeps
        odd = {customer: {"first_name": text, "last_name": text}, "currency": text[:3]}
        yield case("valid-odd-text", f"odd-{i}", _json(order(order_id=6000 + i, **odd)), valid=True)
    yield from (Case(c.system, c.kind, c.name, c.body, headers={id_header: c.label}) for c in _deep(system))
    yield from (Case(c.system, c.kind, c.name, c.body, headers={id_header: c.label})
                for c in _escapes(system, lambda n: _json(order(order_id=n))))
    yield from (Case(c.system, c.kind, c.name, c.body, headers={id_header: c.label})
                for c in _bytes(system, lambda n: _json(order(order_id=n))))
    # Only fields this system reads: a wrong shape where nothing looks is not an error.
    shapes = [{"line_items": [None]}, {"line_items": "x"}, {"line_items": [1]}, {"line_items": {}},
              {"line_items": [[]]}, {"currency": [1]},
              {"line_items": [{"id": 1, "quantity": [1], "price": "1"}]},
              {"line_items": [{"id": 1, "quantity": "1e-999999", "subtotal": "1", "total": "1"}]},
              {"line_items": [{"id": 1, "quantity": "1e500000", "price": "1e500000", "total": "1"}]},
              {"line_items": [{"id": 1, "quantity": 1, "price": "1", "total": "1", "sku": {"a": 1}}]}]
    if system == "shopify":
        shapes += [{"customer": [1]}, {"customer": "x"}, {"customer": 5}, {"billing_address": 5},
                   {"billing_address": ["x"]}, {"total_shipping_price_set": [1]},
                   {"total_shipping_price_set": {"shop_money": "x"}}, {"email": {"a": 1}}, {"total_price": {"x": 1}},
                   {"total_price": "1e999999"}, {"subtotal_price": [1]}, {"total_tax": True}]
    else:
        shapes += [{"billing": "x"}, {"billing": [1]}, {"billing": 5}, {"billing": {"email": ["a"]}},
                   {"total": [1]}, {"total": "1e999999"}, {"shipping_total": {"a": 1}}, {"total_tax": "lots"},
                   {"line_items": [{"id": 1, "quantity": 0, "total": "1"}]}, {"date_modified_gmt": [1]}]
    for i, shape in enumerate(shapes):
        yield case("wrong-shape", f"shape-{i}", _json(order(order_id=7000 + i, **shape)))
    for i, body in enumerate([b"[]", b"[1]", b'"x"', b"1", b"true"]):
        yield case("wrong-shape", f"top-{i}", body)
    template = _json(order(order_id=424242))
    for i, bad in enumerate(NOT_POSITIVE_IDS):
        yield case("order-id", f"order-{i}", template.replace(b"424242", bad.encode(), 1))
    line_id = b"13012345678901234567" if system == "shopify" else b'"id": 31'
    for i, bad in enumerate(NOT_POSITIVE_IDS[:8]):
        replacement = bad.encode() if system == "shopify" else b'"id": ' + bad.encode()
        yield case("order-id", f"line-{i}", template.replace(line_id, replacement, 1))
    for c in _common(system, template, signature_header):
        c.headers = {id_header: c.label, **c.headers}
        yield c


def shopify_cases() -> Iterator[Case]:
    yield from _shop_cases("shopify", shopify_order, "X-Shopify-Hmac-Sha256", "X-Shopify-Webhook-Id")


def woocommerce_cases() -> Iterator[Case]:
    yield from _shop_cases("woocommerce", woo_order, "X-WC-Webhook-Signature", "X-WC-Webhook-Delivery-ID")
    for i, body in enumerate([b"webhook_id=%00", b"webhook_id=\xed\xa0\x80", b"webhook_id=" + b"9" * 300,
                              b"webhook_id=1&webhook_id=%ff"]):
        yield Case("woocommerce", "nul-in-form", f"ping-{i}", body, sign=False, content_type=FORM_TYPE)


CASES = {"freshbooks": freshbooks_cases, "salesforce": salesforce_cases, "shopify": shopify_cases,
         "woocommerce": woocommerce_cases}


def corpus(system: str | None = None) -> list[Case]:
    return [case for name in ([system] if system else SYSTEMS) for case in CASES[name]()]
