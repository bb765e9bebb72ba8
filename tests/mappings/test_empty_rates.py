"""The empty currency-rate list explains itself and offers *Load ECB rates now* (issue 16), which loads
the ECB reference rates from the URL it is configured with: here the stored sample file, served over
real HTTP by a local server (never the internet)."""
from __future__ import annotations

import threading
from decimal import Decimal
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from django.urls import reverse

from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from mappings.models import CurrencyRate
from tests.integrations.staff_dataset import staff_user

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
LIST = "/admin/mappings/currencyrate/"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def ecb_feed(settings):
    server = HTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(DATA)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MAPPINGS_ECB_RATES_URL = f"http://127.0.0.1:{server.server_port}/eurofxref-daily.xml"
    yield settings.MAPPINGS_ECB_RATES_URL
    server.shutdown()
    server.server_close()


def test_empty_rates_page_explains_and_loads_ecb_rates_now(client, django_user_model, ecb_feed):
    client.force_login(staff_user(django_user_model, ADMIN_GROUP))
    html = client.get(LIST).content.decode()
    assert 'id="ll-empty-state"' in html and "No currency rates yet" in html
    assert "Load ECB rates now" in html and reverse("admin:mappings_currencyrate_load_ecb") in html

    response = client.post(reverse("admin:mappings_currencyrate_load_ecb"), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "Loaded 30 rates for 2024-01-05" in response.content.decode()
    assert CurrencyRate.objects.filter(source="ecb", from_currency="EUR", to_currency="USD").get().rate == Decimal("1.0921")
    assert 'id="ll-empty-state"' not in response.content.decode()  # rows now: the list is a list again


def test_a_feed_that_fails_says_so_and_loads_nothing(client, django_user_model, ecb_feed, settings):
    settings.MAPPINGS_ECB_RATES_URL = ecb_feed.replace("eurofxref-daily.xml", "missing.xml")
    client.force_login(staff_user(django_user_model, ADMIN_GROUP))
    response = client.post(reverse("admin:mappings_currencyrate_load_ecb"), follow=True)
    assert "No rates were loaded: The ECB rate feed at" in response.content.decode() and "HTTP 404" in response.content.decode()
    assert not CurrencyRate.objects.exists()


def test_finance_sees_the_help_without_the_button_and_cannot_post_it(client, django_user_model, ecb_feed):
    client.force_login(staff_user(django_user_model, FINANCE_GROUP))
    html = client.get(LIST).content.decode()
    assert "No currency rates yet" in html and "Load ECB rates now" not in html
    assert client.post(reverse("admin:mappings_currencyrate_load_ecb")).status_code == 403
    assert client.get(reverse("admin:mappings_currencyrate_load_ecb")).status_code == 405
    assert not CurrencyRate.objects.exists()


@pytest.mark.parametrize("path, words", [
    ("/admin/monitoring/alertrule/", "No alert rules"),
    ("/admin/monitoring/finding/", "No findings"),
    ("/admin/monitoring/alert/", "No alerts yet"),
    ("/admin/integrations/deadletter/", "No dead letters"),
])
def test_other_empty_lists_explain_themselves(client, django_user_model, path, words):
    client.force_login(staff_user(django_user_model, FINANCE_GROUP))
    html = client.get(path).content.decode()
    assert 'id="ll-empty-state"' in html and words in html


def test_empty_alert_rules_offer_the_defaults_to_the_integration_admin(client, django_user_model):
    from monitoring.models import AlertRule

    client.force_login(staff_user(django_user_model, ADMIN_GROUP))
    assert "Create the default rules" in client.get("/admin/monitoring/alertrule/").content.decode()
    client.post(reverse("admin:monitoring_alertrule_defaults"))
    assert AlertRule.objects.count() == 4
