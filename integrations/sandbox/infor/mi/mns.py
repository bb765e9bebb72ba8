"""MNS150MI (the signed-in user's company and division) and MMS200MI (item master), read only:
what Ledgerlink's pre-flight checks ask before a flow is enabled."""
from __future__ import annotations

from ..models import Item
from .runtime import COMPANY, DIVISION, Context, MIError, Transaction


def get_user_data(ctx: Context, rec: dict) -> list[dict]:
    if ctx.divi != DIVISION:
        raise MIError(f"Division {ctx.divi} does not exist in company {ctx.cono}", code="XDI0001", field="DIVI")
    return [{"USID": "LEDGERLINK", "CONO": COMPANY, "DIVI": DIVISION, "LANC": "GB", "DTFM": "YMD"}]


def get_itm_basic(ctx: Context, rec: dict) -> list[dict]:
    item = Item.objects.filter(itno=rec["ITNO"]).first()
    if item is None:
        raise MIError(f"Item number {rec['ITNO']} does not exist", code="WIT0103", field="ITNO")
    return [{"CONO": COMPANY, "ITNO": item.itno, "ITDS": item.itds, "STAT": "20"}]


MNS150MI = {"GetUserData": Transaction(get_user_data, {}, {})}
MMS200MI = {"GetItmBasic": Transaction(get_itm_basic, {"ITNO": 15}, {"CONO": 3})}
