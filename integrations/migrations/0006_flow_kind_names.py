"""Flow kinds get one naming scheme, <source>-<object>-to-<target>-<object> (flows 1–3 had it).

Flow 8 was one kind (``client_infor``) for two Flow rows, one per direction, told apart by
the source connection's system; each direction is now its own kind, as flow 1's are.
"""
from django.db import migrations

# old kind → new kind (flow 8: by the source connection's system)
RENAMED = {
    "order_to_cash": "shop-order-to-infor-order",
    "shipment_invoice": "infor-order-to-freshbooks-invoice",
    "payment_infor": "freshbooks-payment-to-infor-payment",
    "expense_gl": "freshbooks-expense-to-infor-journal",
}
CLIENT_INFOR = "client_infor"
CLIENT_TO_CUSTOMER, CUSTOMER_TO_CLIENT = "freshbooks-client-to-infor-customer", "infor-customer-to-freshbooks-client"


def kinds_rename(apps, schema_editor):
    Flow = apps.get_model("integrations", "Flow")
    for old, new in RENAMED.items():
        Flow.objects.filter(kind=old).update(kind=new)
    # the old handler ran FreshBooks → Infor for a FreshBooks source and Infor → FreshBooks otherwise
    Flow.objects.filter(kind=CLIENT_INFOR, source_connection__system="freshbooks").update(kind=CLIENT_TO_CUSTOMER)
    Flow.objects.filter(kind=CLIENT_INFOR).update(kind=CUSTOMER_TO_CLIENT)


def kinds_restore(apps, schema_editor):
    Flow = apps.get_model("integrations", "Flow")
    for old, new in RENAMED.items():
        Flow.objects.filter(kind=new).update(kind=old)
    Flow.objects.filter(kind__in=[CLIENT_TO_CUSTOMER, CUSTOMER_TO_CLIENT]).update(kind=CLIENT_INFOR)


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0005_inbound_routing"),
    ]

    operations = [
        migrations.RunPython(kinds_rename, kinds_restore),
    ]
