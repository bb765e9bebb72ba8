"""Shopify and WooCommerce order shapes for mappings."""
from __future__ import annotations

from mappings.schemas import schema_build as _schema
from mappings.schemas import schema_field as _f

ADDRESS = [_f("first_name"), _f("last_name"), _f("company"), _f("address1"), _f("address2"), _f("city"), _f("province"),
           _f("province_code"), _f("zip"), _f("country"), _f("country_code"), _f("phone"), _f("name")]
SHOPIFY_ORDER = _schema("shopify", "order", [
    _f("id", "id", example=820982911946154508), _f("name", example="#1001"), _f("order_number", "int"), _f("email", "email"),
    _f("created_at", "datetime"), _f("currency", "code", 3, example="USD"), _f("total_price", "decimal", example="59.99"),
    _f("subtotal_price", "decimal"), _f("total_tax", "decimal"), _f("financial_status", "code"), _f("note"),
    _f("gateway", "code"), _f("payment_gateway_names", "list"),
    _f("customer", "object", children=[_f("id", "id"), _f("email", "email"), _f("first_name"), _f("last_name"), _f("phone")]),
    _f("billing_address", "object", children=ADDRESS), _f("shipping_address", "object", children=ADDRESS),
    _f("line_items", "list", children=[_f("id", "id"), _f("title"), _f("name"), _f("sku", "code"), _f("quantity", "int"),
                                       _f("price", "decimal"), _f("total_discount", "decimal")]),
])
WOO_ADDRESS = [_f("first_name"), _f("last_name"), _f("company"), _f("email", "email"), _f("phone"), _f("address_1"),
               _f("address_2"), _f("city"), _f("state"), _f("postcode"), _f("country")]
WOOCOMMERCE_ORDER = _schema("woocommerce", "order", [
    _f("id", "id"), _f("number"), _f("status", "code"), _f("currency", "code", 3), _f("total", "decimal"), _f("total_tax", "decimal"),
    _f("date_created", "datetime"), _f("payment_method", "code"), _f("payment_method_title"), _f("customer_note"),
    _f("billing", "object", children=WOO_ADDRESS), _f("shipping", "object", children=WOO_ADDRESS),
    _f("line_items", "list", children=[_f("id", "id"), _f("name"), _f("product_id", "id"), _f("sku", "code"),
                                       _f("quantity", "int"), _f("price", "decimal"), _f("subtotal", "decimal"), _f("total", "decimal")]),
])

SCHEMAS = (SHOPIFY_ORDER, WOOCOMMERCE_ORDER)
