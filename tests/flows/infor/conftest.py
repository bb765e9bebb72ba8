"""A whole sandbox world over real HTTP: the shop, FreshBooks, Infor M3 and the flows 4–8."""
from dataclasses import dataclass

import pytest
from django.utils import timezone

from integrations.connectors.freshbooks.client import FreshBooksClient
from integrations.connectors.infor.adapter import infor_adapter_for
from integrations.demo.flows import FRESHBOOKS, INFOR, SHOPIFY, WOOCOMMERCE, infor_flows_demo_ensure
from integrations.models import Connection, Flow, SyncItem
from integrations.sandbox.shop.services import endpoint_configure, order_place, outbox_drain
from integrations.sync.engine import sync_item_process
from integrations.sync.routing import inbound_events_route_pending
from mappings.setup import default_config_load
from tests.connectors.infor.conftest import fault, ionapi_text, m3_connection, sim_app  # noqa: F401
from tests.flows.world import item_run
from tests.live_http import close_http_sessions  # noqa: F401  (autouse)
from tests.sandbox.freshbooks.fixtures import fb  # noqa: F401

SECRET = "shop-secret-for-tests"


@dataclass
class World:
    fb: object
    fb_connection: Connection
    infor: object
    shops: dict

    def flow(self, name) -> Flow:
        return Flow.objects.get(name=name)

    def run(self, flow_name: str, source_object: str, source_id, **options) -> SyncItem:
        return item_run(flow_name, source_object, source_id, **options)

    def order(self, platform="shopify", *, email="ann@buyer.example", lines=None, company="Buyer Ltd", currency="USD",
              options=None, first_name="Ann", last_name="Buyer"):
        """Place an order in the shop simulator and deliver its signed webhook to Ledgerlink."""
        lines = lines or [{"sku": "WIDGET-S", "quantity": "2", "price": "12.50", "name": "Widget small"}]
        order = order_place(platform=platform, first_name=first_name, last_name=last_name, email=email,
                            currency=currency, lines=lines, company=company, options=options)
        assert outbox_drain()["sent"] == 1
        return order


def run_until_idle(*, rounds=30, fast_forward=True) -> list[SyncItem]:
    """Process due items (the engine called directly) until nothing is left to do now."""
    for _ in range(rounds):
        inbound_events_route_pending()  # what the route task does for delivered webhooks
        if fast_forward:  # retries are due at once: this test is about outcomes, not timing
            SyncItem.objects.filter(status=SyncItem.Status.RETRYING).update(next_attempt_at=timezone.now())
        due = list(SyncItem.objects.filter(status__in=SyncItem.OPEN_STATUSES, next_attempt_at__lte=timezone.now())
                   .values_list("pk", flat=True))
        if not due:
            break
        for pk in due:
            sync_item_process(item_id=pk)
    return list(SyncItem.objects.order_by("pk"))


@pytest.fixture
def world(live_server, fb, m3_connection, settings):  # noqa: F811
    settings.LEDGERLINK_PUBLIC_URL = live_server.url
    default_config_load(lambda _: None)
    fb_connection = fb.connection(name=FRESHBOOKS)
    Connection.objects.filter(pk=m3_connection.pk).update(name=INFOR)
    shops = {}
    for system, name in (("shopify", SHOPIFY), ("woocommerce", WOOCOMMERCE)):
        connection = Connection(name=name, system=system, auth_kind="shared_secret", is_sandbox=True)
        connection.set_secrets(webhook_secret=SECRET)
        connection.save()
        endpoint_configure(platform=system, url=f"{live_server.url}/api/webhooks/{system}/{connection.pk}/",
                           secret=SECRET)
        shops[system] = connection
    infor_flows_demo_ensure(lambda _: None)
    client = FreshBooksClient(fb_connection)
    yield World(fb=client, fb_connection=fb_connection, infor=infor_adapter_for(Connection.objects.get(name=INFOR)),
                shops=shops)
    client.session.close()
