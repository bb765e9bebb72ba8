"""Strict mode: the login server refuses a callback URL the connected app does not list."""
import pytest
import requests

from integrations.sandbox.salesforce import services as sim
from integrations.sandbox.salesforce.models import SfConnectedApp
from tests.sandbox.salesforce.fixtures import CONSUMER_KEY, REDIRECT_URI


def authorize(sf_root, redirect_uri):
    return requests.get(f"{sf_root}/services/oauth2/authorize", params={
        "response_type": "code", "client_id": CONSUMER_KEY, "redirect_uri": redirect_uri, "state": "s"},
        allow_redirects=False, timeout=10)


@pytest.mark.parametrize("uri", ["http://127.0.0.1/elsewhere/", REDIRECT_URI + "?x=1", "https://evil.example/cb"])
def test_a_callback_url_not_on_the_app_is_refused(sf_root, sf_app, uri):
    answer = authorize(sf_root, uri)
    assert answer.status_code == 400 and "redirect_uri_mismatch" in answer.text and "Location" not in answer.headers


def test_an_app_listing_no_callback_accepts_none(sf_root, sf_app):
    SfConnectedApp.objects.filter(pk=sf_app.pk).update(redirect_uris="")
    assert authorize(sf_root, REDIRECT_URI).status_code == 400
    sim.connected_app_ensure(consumer_key=CONSUMER_KEY, redirect_uris=[REDIRECT_URI])
    assert authorize(sf_root, REDIRECT_URI).status_code == 200
