"""Recursive-descent parser for the SOQL subset: fields, parent paths, child subqueries,
COUNT(), aggregate functions with aliases and GROUP BY, FIELDS(), toLabel(), WHERE (= != <> <
> <= >= IN, NOT IN, LIKE, AND/OR/NOT, parentheses, date literals), ORDER BY, LIMIT, OFFSET.
Like the real parser it refuses AND and OR mixed without parentheses.

Valid SOQL the simulator does not run (HAVING, TYPEOF, semi-joins, date functions, FOR
UPDATE, …) is parsed far enough to be recognised and answered with ``unsupported`` (the
real code for a valid construct the org cannot run), never with MALFORMED_QUERY, which
stays for text that is not SOQL."""
from __future__ import annotations

from dataclasses import dataclass, field

from .lexer import Token, malformed, tokenize, unsupported

AGGREGATES = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"}
FIELDS_GROUPS = {"ALL", "STANDARD", "CUSTOM"}
# Functions real SOQL has that the simulator does not evaluate.
UNSUPPORTED_FUNCTIONS = {"CONVERTCURRENCY", "FORMAT", "GROUPING", "DISTANCE", "GEOLOCATION", "CONVERTTIMEZONE",
                         "CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK",
                         "DAY_IN_YEAR", "DAY_ONLY", "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR",
                         "HOUR_IN_DAY", "WEEK_IN_MONTH", "WEEK_IN_YEAR"}


@dataclass
class FieldRef:
    path: list[str]
    pos: int
    alias: str | None = None


@dataclass
class Aggregate:
    """COUNT(f), COUNT_DISTINCT(f), SUM(f), AVG(f), MIN(f), MAX(f) with an optional alias."""

    function: str
    field: FieldRef
    pos: int
    alias: str | None = None


@dataclass
class LabelRef:
    """toLabel(f): the picklist value's label instead of its API value."""

    field: FieldRef
    pos: int
    alias: str | None = None


@dataclass
class FieldsGroup:
    """FIELDS(ALL|STANDARD|CUSTOM), expanded against the object's fields before running."""

    kind: str
    pos: int


@dataclass
class Subquery:
    query: Query
    pos: int


@dataclass
class Literal:
    kind: str  # string number boolean null date datetime date_literal
    value: object
    pos: int
    n: int | None = None  # LAST_N_DAYS:n


@dataclass
class Comparison:
    field: FieldRef
    op: str  # = != < > <= >= IN NOT IN LIKE
    value: Literal | list[Literal]


@dataclass
class BoolOp:
    op: str  # AND OR
    items: list


@dataclass
class Not:
    item: object


@dataclass
class OrderItem:
    field: FieldRef
    descending: bool = False
    nulls_last: bool | None = None


@dataclass
class Query:
    select: list  # FieldRef | Subquery
    sobject: str
    sobject_pos: int
    where: object = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    count: bool = False
    text: str = ""
    group_by: list[FieldRef] = field(default_factory=list)

    @property
    def aggregated(self) -> bool:
        return bool(self.group_by) or any(isinstance(item, Aggregate) for item in self.select)


def soql_parse(text: str) -> Query:
    parser = _Parser(text)
    query = parser.query(nested=False)
    parser.expect_end()
    return query


class _Parser:
    def __init__(self, text: str):
        self.text, self.tokens, self.i = text, tokenize(text), 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, token: Token | None = None, message: str | None = None):
        token = token or self.tok
        return malformed(self.text, token.pos, message or f"unexpected token: {token.text or '<EOF>'}")

    def keyword(self, *words: str) -> Token:
        if not self.tok.is_kw(*words):
            raise self.error()
        return self.take()

    def punct(self, char: str) -> Token:
        if not (self.tok.kind == "punct" and self.tok.value == char):
            raise self.error()
        return self.take()

    def at_punct(self, char: str) -> bool:
        return self.tok.kind == "punct" and self.tok.value == char

    def expect_end(self) -> None:
        if self.tok.kind == "ident" and self.tok.value.upper() in ("FOR", "UPDATE"):
            raise self.unsupported(self.tok, f"{self.tok.value.upper()} clause")
        if self.tok.kind != "end":
            raise self.error()

    def unsupported(self, token: Token, what: str):
        return unsupported(self.text, token.pos, what)

    def at_ident(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.value.upper() in words

    def at_call(self) -> bool:
        """An identifier followed by '(': a function call."""
        if self.tok.kind != "ident":
            return False
        nxt = self.tokens[self.i + 1]
        return nxt.kind == "punct" and nxt.value == "("

    # -- query ------------------------------------------------------------------------------
    def query(self, *, nested: bool) -> Query:
        self.keyword("SELECT")
        select, count = self.select_list(nested)
        self.keyword("FROM")
        name = self.take()
        sobject = name.value
        if name.is_kw("ORDER") and not self.tok.is_kw("BY"):
            sobject = "Order"  # the sObject Order: a keyword only when BY follows ("FROM Order ORDER BY …")
        elif name.kind != "ident":
            raise self.error(name)
        query = Query(select=select, sobject=sobject, sobject_pos=name.pos, count=count, text=self.text)
        if self.at_ident("USING"):
            raise self.unsupported(self.tok, "USING SCOPE")
        if self.tok.is_kw("WHERE"):
            self.take()
            query.where = self.condition()
        if self.at_ident("WITH"):
            raise self.unsupported(self.tok, "WITH clause")
        if self.at_ident("GROUP"):
            self.take()
            self.keyword("BY")
            if self.at_ident("ROLLUP", "CUBE"):
                raise self.unsupported(self.tok, f"GROUP BY {self.tok.value.upper()}")
            query.group_by = [self.field_ref()]
            while self.at_punct(","):
                self.take()
                query.group_by.append(self.field_ref())
        if self.at_ident("HAVING"):
            raise self.unsupported(self.tok, "HAVING clause")
        if self.tok.is_kw("ORDER"):
            self.take()
            self.keyword("BY")
            query.order_by = self.order_list()
        if self.tok.is_kw("LIMIT"):
            self.take()
            query.limit = self.integer()
        if self.tok.is_kw("OFFSET"):
            self.take()
            query.offset = self.integer()
        return query

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or "." in token.value or token.value.startswith("-"):
            raise self.error(token)
        return int(token.value)

    def select_list(self, nested: bool) -> tuple[list, bool]:
        if self.tok.kind == "ident" and self.tok.value.upper() == "COUNT" and self.tokens[self.i + 1].value == "(" \
                and self.tokens[self.i + 2].value == ")":
            self.take(), self.take()
            self.punct(")")
            return [], True
        items = [self.select_item(nested)]
        while self.at_punct(","):
            self.take()
            items.append(self.select_item(nested))
        return items, False

    def select_item(self, nested: bool):
        if self.at_punct("("):
            start = self.take()
            if nested:
                raise self.error(start, "unexpected token: '(' (subqueries cannot be nested here)")
            sub = self.query(nested=True)
            self.punct(")")
            return Subquery(sub, start.pos)
        if self.at_ident("TYPEOF"):
            raise self.unsupported(self.tok, "TYPEOF")
        if self.at_call():
            return self.function_item()
        item = self.field_ref()
        item.alias = self.alias()
        return item

    def function_item(self):
        name = self.take()
        function = name.value.upper()
        self.punct("(")
        if function == "FIELDS":
            kind = self.take()
            if kind.kind != "ident" or kind.value.upper() not in FIELDS_GROUPS:
                raise self.error(kind)
            self.punct(")")
            return FieldsGroup(kind.value.upper(), name.pos)
        if function in UNSUPPORTED_FUNCTIONS:
            raise self.unsupported(name, f"{name.value}()")
        if function not in AGGREGATES and function != "TOLABEL":
            raise self.error(name, f"unexpected token: {name.value}")
        ref = self.field_ref()
        self.punct(")")
        if function == "TOLABEL":
            return LabelRef(ref, name.pos, self.alias())
        return Aggregate(function, ref, name.pos, self.alias())

    def alias(self) -> str | None:
        """An alias follows a select item as a bare identifier (reserved words cannot be aliases)."""
        if self.tok.kind == "ident" and not self.at_ident("USING", "WITH", "GROUP", "HAVING", "TYPEOF"):
            return self.take().value
        return None

    def field_ref(self) -> FieldRef:
        token = self.take()
        if token.kind != "ident":
            raise self.error(token)
        path = [token.value]
        while self.at_punct("."):
            self.take()
            part = self.take()
            if part.kind != "ident":
                raise self.error(part)
            path.append(part.value)
        return FieldRef(path, token.pos)

    def order_list(self) -> list[OrderItem]:
        items = []
        while True:
            if self.at_call():
                raise self.unsupported(self.tok, f"ORDER BY {self.tok.value}()")
            item = OrderItem(self.field_ref())
            if self.tok.is_kw("ASC", "DESC"):
                item.descending = self.take().value == "DESC"
            if self.tok.is_kw("NULLS"):
                self.take()
                item.nulls_last = self.keyword("FIRST", "LAST").value == "LAST"
            items.append(item)
            if not self.at_punct(","):
                return items
            self.take()

    # -- conditions ---------------------------------------------------------------------------
    def condition(self):
        first = self.unary()
        if not self.tok.is_kw("AND", "OR"):
            return first
        op = self.tok.value
        items = [first]
        while self.tok.is_kw("AND", "OR"):
            if self.tok.value != op:
                raise self.error()  # AND and OR mixed without parentheses
            self.take()
            items.append(self.unary())
        return BoolOp(op, items)

    def unary(self):
        if self.tok.is_kw("NOT"):
            self.take()
            return Not(self.unary())
        if self.at_punct("("):
            self.take()
            inner = self.condition()
            self.punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        if self.at_call():
            raise self.unsupported(self.tok, f"{self.tok.value}() in WHERE")
        ref = self.field_ref()
        token = self.tok
        if token.kind == "op":
            self.take()
            op = "!=" if token.value == "<>" else token.value
            return Comparison(ref, op, self.literal())
        negate = False
        if token.is_kw("NOT"):
            self.take()
            negate = True
        if self.tok.is_kw("IN"):
            self.take()
            self.punct("(")
            if self.tok.is_kw("SELECT"):
                raise self.unsupported(self.tok, "a semi-join or anti-join subquery")
            values = [self.literal()]
            while self.at_punct(","):
                self.take()
                values.append(self.literal())
            self.punct(")")
            return Comparison(ref, "NOT IN" if negate else "IN", values)
        if self.tok.is_kw("LIKE") and not negate:
            self.take()
            value = self.literal()
            if value.kind != "string":
                raise self.error(message="unexpected token: LIKE needs a string")
            return Comparison(ref, "LIKE", value)
        if self.tok.is_kw("INCLUDES", "EXCLUDES") and not negate:
            raise self.unsupported(self.tok, f"{self.tok.value} (multi-select picklists)")
        raise self.error()

    def literal(self) -> Literal:
        token = self.take()
        if token.kind == "string":
            return Literal("string", token.value, token.pos)
        if token.kind == "number":
            return Literal("number", float(token.value), token.pos)
        if token.kind in ("date", "datetime"):
            return Literal(token.kind, token.value, token.pos)
        if token.is_kw("TRUE", "FALSE"):
            return Literal("boolean", token.value == "TRUE", token.pos)
        if token.is_kw("NULL"):
            return Literal("null", None, token.pos)
        if token.kind == "ident":
            name = token.value.upper()
            n = None
            if self.at_punct(":"):
                self.take()
                n = self.integer()
            return Literal("date_literal", name, token.pos, n)
        raise self.error(token)
