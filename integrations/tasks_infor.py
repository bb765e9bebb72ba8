"""django-q2 entry points of the Infor polling schedules: one service call each."""
from .flows.infor_customers import infor_customers_poll_all
from .flows.shipment_invoice import infor_orders_poll_all


def infor_orders_poll() -> dict:
    return infor_orders_poll_all()


def infor_customers_poll() -> dict:
    return infor_customers_poll_all()
