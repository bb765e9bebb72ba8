"""Derived fields and cross-record rules, as the real org enforces them (object reference):

- Opportunity.StageName drives IsClosed, IsWon, ForecastCategoryName and Probability through
  the OpportunityStage table; Amount is the sum of line items once products exist (a written
  Amount is then silently ignored); Pricebook2Id and CurrencyIsoCode are locked by line items.
- OpportunityLineItem: UnitPrice or TotalPrice (never both); Quantity changes keep TotalPrice
  and recompute UnitPrice; the first line sets the Opportunity's price book.
- OpportunityContactRole: one primary contact per Opportunity.
"""
from __future__ import annotations

from decimal import Decimal

from .errors import SfApiError
from .models import SfRecord
from .org import org_get, stage_get
from .security import RULES as SECURITY_RULES

CENT = Decimal("0.01")


def _dec(value) -> Decimal:
    """A stored number as an exact Decimal (stored JSON floats are read through their text)."""
    return Decimal(str(value or 0))


def _money(value: Decimal) -> float:
    """A currency field's value: to the cent by the org's ``currency_rounding`` (Salesforce's rule is
    unconfirmed, so a setting), then stored as JSON like the API returns it."""
    return float(value.quantize(CENT, rounding=org_get().currency_rounding))


def _integrity(message: str, fields: list[str]) -> SfApiError:
    return SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", message, fields)


def _live(sobject: str, sf_id: str | None) -> SfRecord | None:
    if not sf_id:
        return None
    return SfRecord.objects.filter(sobject=sobject, sf_id=sf_id, is_deleted=False).first()


def line_items_of(opportunity_id: str) -> list[SfRecord]:
    # Filter in the database (JSON key): an org with 30,000 line items must not read them all per write.
    return list(SfRecord.objects.filter(sobject="OpportunityLineItem", is_deleted=False,
                                        fields__OpportunityId=opportunity_id).order_by("pk"))


def contact(values: dict, changes: dict, before: dict | None) -> None:
    values["Name"] = " ".join(p for p in (values.get("FirstName"), values.get("LastName")) if p)


def opportunity(values: dict, changes: dict, before: dict | None) -> None:
    has_lines = bool(before and before.get("HasOpportunityLineItem"))
    # A missing stage is a missing required field (checked with the others after the rules),
    # not a bad picklist value: the real org answers REQUIRED_FIELD_MISSING naming StageName.
    if ("StageName" in changes or before is None) and values.get("StageName") not in (None, ""):
        stage = stage_get(values["StageName"])
        if stage is None:
            raise SfApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                             f"Stage: bad value for restricted picklist field: {values.get('StageName')}", ["StageName"])
        values["IsClosed"], values["IsWon"] = stage["IsClosed"], stage["IsWon"]
        if "ForecastCategoryName" not in changes:
            values["ForecastCategoryName"] = stage["ForecastCategoryName"]
        if "Probability" not in changes:
            values["Probability"] = stage["DefaultProbability"]
    if has_lines:
        values["Amount"] = before.get("Amount")  # "Any attempt to update this field … will be ignored"
        if "Pricebook2Id" in changes and changes["Pricebook2Id"] != before.get("Pricebook2Id"):
            raise _integrity("Cannot change pricebook on opportunity with line items", ["Pricebook2Id"])
        if "CurrencyIsoCode" in changes and changes["CurrencyIsoCode"] != before.get("CurrencyIsoCode"):
            raise _integrity("Cannot change currency on an opportunity with line items", ["CurrencyIsoCode"])
    values.setdefault("HasOpportunityLineItem", False)
    _expected_revenue(values)


def _expected_revenue(values: dict) -> None:
    amount, probability = values.get("Amount"), values.get("Probability")
    values["ExpectedRevenue"] = None if amount is None or probability is None else \
        _money(_dec(amount) * _dec(probability) / 100)


def line_item(values: dict, changes: dict, before: dict | None) -> None:
    if before is None:
        _line_item_create(values, changes)
    elif "UnitPrice" in changes and "TotalPrice" in changes:
        raise _integrity("TotalPrice and UnitPrice cannot both be specified", ["TotalPrice", "UnitPrice"])
    elif "TotalPrice" in changes and changes["TotalPrice"] is not None:
        values["UnitPrice"] = _money(_dec(values["TotalPrice"]) / _dec(values["Quantity"])) \
            if values.get("Quantity") else 0.0
    elif "Quantity" in changes and "UnitPrice" not in changes:
        # Quantity without a price keeps TotalPrice and recomputes UnitPrice (object reference).
        values["UnitPrice"] = _money(_dec(before["TotalPrice"]) / _dec(values["Quantity"])) \
            if values.get("Quantity") else 0.0
        values["TotalPrice"] = before["TotalPrice"]
    if values.get("Quantity") is not None and values["Quantity"] <= 0:
        raise _integrity("field integrity exception: Quantity (quantity must be non-zero)", ["Quantity"])
    _line_item_totals(values, keep_total="TotalPrice" in changes or ("Quantity" in changes and "UnitPrice" not in changes))


def _line_item_create(values: dict, changes: dict) -> None:
    unit, total = changes.get("UnitPrice"), changes.get("TotalPrice")
    if unit is None and total is None:
        raise SfApiError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [UnitPrice]", ["UnitPrice"])
    if unit is not None and total is not None:
        raise _integrity("field integrity exception: TotalPrice (cannot specify both unit price and total price)",
                         ["TotalPrice"])
    opp = _live("Opportunity", values["OpportunityId"])
    entry = _live("PricebookEntry", values["PricebookEntryId"])
    if opp is None:
        raise SfApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["OpportunityId"])
    if entry is None:
        raise SfApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["PricebookEntryId"])
    if not entry.fields.get("IsActive"):
        raise _integrity("field integrity exception: PricebookEntryId (pricebook entry is inactive)", ["PricebookEntryId"])
    book = opp.fields.get("Pricebook2Id")
    if book and book != entry.fields["Pricebook2Id"]:
        raise _integrity("field integrity exception: PricebookEntryId (pricebook entry is in a different pricebook "
                         "than the one assigned to the opportunity)", ["PricebookEntryId"])
    if "CurrencyIsoCode" in opp.fields:
        values["CurrencyIsoCode"] = opp.fields["CurrencyIsoCode"]
    values["Product2Id"] = entry.fields["Product2Id"]
    values["ProductCode"] = entry.fields.get("ProductCode")
    values["ListPrice"] = entry.fields["UnitPrice"]
    product = _live("Product2", entry.fields["Product2Id"])
    values["Name"] = f"{opp.fields.get('Name')} {product.fields.get('Name') if product else ''}".strip()
    if total is not None:
        values["UnitPrice"] = _money(_dec(total) / _dec(values["Quantity"])) if values.get("Quantity") else 0.0


def _line_item_totals(values: dict, *, keep_total: bool) -> None:
    # Decimal, never binary floats: 2.5 × 99.99 is 249.975, which float arithmetic makes 249.97499…
    subtotal = _dec(values.get("Quantity")) * _dec(values.get("UnitPrice"))
    values["Subtotal"] = _money(subtotal)
    if not keep_total or values.get("TotalPrice") is None:
        values["TotalPrice"] = _money(subtotal * (1 - _dec(values.get("Discount")) / 100))


def opportunity_rollup(opportunity_id: str) -> dict:
    """Amount = sum of the line items; returns the Opportunity fields that follow from them."""
    lines = line_items_of(opportunity_id)
    opp = _live("Opportunity", opportunity_id)
    if opp is None:
        return {}
    values = {"HasOpportunityLineItem": bool(lines),
              "Amount": _money(sum((_dec(line.fields.get("TotalPrice")) for line in lines), Decimal(0))) if lines
              else opp.fields.get("Amount")}
    if lines and not opp.fields.get("Pricebook2Id"):
        entry = _live("PricebookEntry", lines[0].fields.get("PricebookEntryId"))
        if entry:
            values["Pricebook2Id"] = entry.fields["Pricebook2Id"]
    merged = {**opp.fields, **values}
    _expected_revenue(merged)
    values["ExpectedRevenue"] = merged["ExpectedRevenue"]
    return {k: v for k, v in values.items() if opp.fields.get(k) != v}


def pricebook_entry(values: dict, changes: dict, before: dict | None) -> None:
    if before is None:
        product = _live("Product2", values.get("Product2Id"))
        book = _live("Pricebook2", values.get("Pricebook2Id"))
        if product is None or book is None:
            field = "Product2Id" if product is None else "Pricebook2Id"
            raise SfApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])
        values["Name"], values["ProductCode"] = product.fields.get("Name"), product.fields.get("ProductCode")


def order(values: dict, changes: dict, before: dict | None) -> None:
    if before is None:  # OrderNumber is an auto-number: 00000100, 00000101, …
        values["OrderNumber"] = f"{100 + SfRecord.objects.filter(sobject='Order').count():08d}"
        values["TotalAmount"] = 0.0
    else:
        values["OrderNumber"], values["TotalAmount"] = before.get("OrderNumber"), before.get("TotalAmount")
        if before.get("Status") == "Activated" and changes.get("Status") == "Draft":
            raise SfApiError(400, "FIELD_INTEGRITY_EXCEPTION", "You can't change an activated order back to draft.",
                             ["Status"])


def order_item(values: dict, changes: dict, before: dict | None) -> None:
    if before is None and _live("Order", values.get("OrderId")) is None:
        raise SfApiError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["OrderId"])
    values["TotalPrice"] = _money(_dec(values.get("Quantity")) * _dec(values.get("UnitPrice")))


def order_rollup(order_id: str) -> dict:
    """TotalAmount = the sum of the order's products."""
    rows = SfRecord.objects.filter(sobject="OrderItem", is_deleted=False, fields__OrderId=order_id)
    found = _live("Order", order_id)
    if found is None:
        return {}
    total = _money(sum((_dec(r.fields.get("TotalPrice")) for r in rows), Decimal(0)))
    return {} if found.fields.get("TotalAmount") == total else {"TotalAmount": total}


# Per-object rule applied to the merged values before save.
RULES = {
    "Contact": contact,
    "Opportunity": opportunity,
    "OpportunityLineItem": line_item,
    "PricebookEntry": pricebook_entry,
    "Order": order,
    "OrderItem": order_item,
    **SECURITY_RULES,
}
