"""django-q2 entry points of the Infor polling schedules: one service call each."""
from integrations.flows.shipment_invoice.handler import infor_orders_poll_all
from integrations.flows.toolkit.infor_customers import infor_customers_poll_all


def infor_orders_poll() -> dict:
    return infor_orders_poll_all()


def infor_customers_poll() -> dict:
    return infor_customers_poll_all()
