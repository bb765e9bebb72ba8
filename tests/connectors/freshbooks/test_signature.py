"""The X-FreshBooks-Hmac-SHA256 check against vectors built from the documented algorithm."""
import base64
import hashlib
import hmac

from integrations.connectors.freshbooks.webhooks import form_params, signature_compute, signature_valid

VERIFIER = "scADVVi5QuKuj5qTjVkbJNYQe7V7USpGd"
BODY = b"name=invoice.create&object_id=1234567&account_id=6BApk&business_id=6543&identity_id=1234&user_id=1"
# Built by hand: the documented message is Python's json.dumps of the form, keys in sent order.
MESSAGE = ('{"name": "invoice.create", "object_id": "1234567", "account_id": "6BApk", "business_id": "6543", '
           '"identity_id": "1234", "user_id": "1"}')
EXPECTED = base64.b64encode(hmac.new(VERIFIER.encode(), MESSAGE.encode(), hashlib.sha256).digest()).decode()


def test_valid_signature():
    params = form_params(BODY)
    assert signature_compute(VERIFIER, params) == EXPECTED
    assert signature_valid(VERIFIER, params, EXPECTED)


def test_tampered_body_fails():
    assert not signature_valid(VERIFIER, form_params(BODY.replace(b"1234567", b"1234568")), EXPECTED)


def test_wrong_verifier_fails():
    assert not signature_valid("another-verifier-of-thirty-chars", form_params(BODY), EXPECTED)


def test_reordered_parameters_fail():
    reordered = b"object_id=1234567&name=invoice.create&account_id=6BApk&business_id=6543&identity_id=1234&user_id=1"
    assert not signature_valid(VERIFIER, form_params(reordered), EXPECTED)


def test_missing_signature_or_verifier_fails():
    assert not signature_valid(VERIFIER, form_params(BODY), "")
    assert not signature_valid("", form_params(BODY), EXPECTED)


def test_percent_encoded_values_are_signed_decoded():
    body = b"name=callback.verify&verifier=abc&system=https%3A%2F%2Fx.freshbooks.com"
    message = '{"name": "callback.verify", "verifier": "abc", "system": "https://x.freshbooks.com"}'
    expected = base64.b64encode(hmac.new(b"abc", message.encode(), hashlib.sha256).digest()).decode()
    assert signature_valid("abc", form_params(body), expected)
