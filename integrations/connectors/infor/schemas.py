"""Infor M3 record shapes for mappings, named by their MI program (CRS610MI, OIS100MI, …)."""
from __future__ import annotations

from mappings.schemas import schema_build as _schema
from mappings.schemas import schema_field as _f

INFOR_CUSTOMER = _schema("infor", "CRS610MI", [
    _f("CUNO", "id", 10, example="10001"), _f("CUTM", "code", 10, example="TMPL"), _f("CUNM", max_length=36, required=True, example="ACME"),
    _f("CUA1", max_length=36, required=True, example="Street 1"), _f("CUA2", max_length=36), _f("CUA3", max_length=36),
    _f("CUA4", max_length=36), _f("TOWN", max_length=40), _f("PONO", max_length=10), _f("CSCD", "code", 3), _f("ECAR", "code", 2),
    _f("PHNO", "phone", 16), _f("PHN2", "phone", 16), _f("TFNO", "phone", 16), _f("MAIL", "email", 50), _f("YREF", max_length=30),
    _f("CUTP", "int", 1), _f("STAT", "code", 2, example="20"), _f("CUCL", "code", 3, example="SMB"), _f("CUCD", "code", 3),
    _f("PYCD", "code", 3), _f("TEPY", "code", 3), _f("LNCD", "code", 2), _f("LMDT", "date"), _f("LMTS", "text", 18),
])
INFOR_ORDER_LINE = [
    _f("ITNO", "code", 15, required=True, example="A100"), _f("ORQT", "decimal", example="2"), _f("SAPR", "decimal", 18),
    _f("ITDS", max_length=30), _f("WHLO", "code", 3), _f("DWDT", "date"), _f("ALUN", "code", 3), _f("DIP1", "decimal"),
]
INFOR_SALES_ORDER = _schema("infor", "OIS100MI", [
    _f("CUNO", "id", 10, required=True), _f("ORTP", "code", 3), _f("FACI", "code", 3), _f("WHLO", "code", 3),
    _f("CUOR", max_length=20, example="0000001"), _f("ORDT", "date"), _f("RLDT", "date"), _f("CUCD", "code", 3),
    _f("TEPY", "code", 3), _f("PYCD", "code", 3), _f("YREF", max_length=30), _f("OREF", max_length=30),
    _f("ORNO", "id", 10), _f("ORSL", "code", 2, example="66"), _f("ORST", "code", 2, example="66"),
    _f("lines", "list", children=INFOR_ORDER_LINE),
])
INFOR_PAYMENT = _schema("infor", "ARS040MI", [
    _f("PBID", "id", 10), _f("BOPE", "code", 3), _f("TRNO", "int", 7), _f("CINO", "id", 15, required=True),
    _f("INYR", "int", 4, required=True), _f("CUNO", "id", 10, required=True), _f("PYAM", "decimal", 17, required=True),
    _f("PYNO", "id", 10), _f("PYTP", "code", 2), _f("CUCD", "code", 3), _f("ARAT", "decimal"), _f("LPDT", "date"),
    _f("CKNO", max_length=15), _f("CKST", "code"),
])
INFOR_GL_LINE = [
    _f("LINE", "int", 7), _f("INRI", "code", 2), _f("AIT1", "code", 8, example="6410"), _f("AIT2", "code", 8),
    _f("AIT3", "code", 8), _f("CUCD", "code", 3), _f("CUAM", "decimal", 17), _f("ACAM", "decimal", 17), _f("DBCR", "code", 1),
    _f("ACDT", "date"), _f("VTCD", "code", 2), _f("VTXT", max_length=40), _f("ARAT", "decimal"),
]
INFOR_GL_JOURNAL = _schema("infor", "GLS840MI", [
    _f("KEY1", "id", 15), _f("INTN", "code", 15), _f("DESC", max_length=40, required=True),
    _f("lines", "list", children=INFOR_GL_LINE),
])

SCHEMAS = (INFOR_CUSTOMER, INFOR_SALES_ORDER, INFOR_PAYMENT, INFOR_GL_JOURNAL)
