"""Field values in their wire form: Salesforce's datetime format, and coercion of written
values by field type with the real JSON_PARSER_ERROR / STRING_TOO_LONG errors."""
from __future__ import annotations

import re
from datetime import date, datetime
from datetime import timezone as dt_timezone

from django.utils import timezone

from .errors import SfApiError, json_parser_error, malformed_id
from .ids import id_normalise
from .schema import Field, SObject, sobject_get

DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$")


def sf_now() -> datetime:
    """The org's clock for the stamps it sets (CreatedDate, LastModifiedDate, SystemModstamp, deletes):
    whole seconds, as the real API's (they always read ".000")."""
    return timezone.now().replace(microsecond=0)


def sf_datetime(value: datetime) -> str:
    """2013-05-20T20:49:32.000+0000, always UTC."""
    value = value.astimezone(dt_timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    match = DATETIME_RE.match(text.strip())
    if not match:
        return None
    y, mo, d, h, mi, s, ms, tz = match.groups()
    try:
        value = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((ms or "0").ljust(3, "0")) * 1000,
                         tzinfo=dt_timezone.utc)
    except ValueError:
        return None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        value = value - sign * (datetime(2000, 1, 1, int(digits[:2]), int(digits[2:]), tzinfo=dt_timezone.utc)
                                - datetime(2000, 1, 1, tzinfo=dt_timezone.utc))
    return value


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.match(r"^\d{4}-\d{2}-\d{2}$", text) else None
    except ValueError:
        return None


def _deserialize_error(kind: str, value) -> SfApiError:
    return json_parser_error(f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} "
                             "or request may be missing a required field")


def coerce(obj: SObject, field: Field, value, *, multi_currency: bool = False):
    """The stored form of a value written to ``field``, or the API's error."""
    if value is None:
        return None
    kind = field.type
    if kind in ("string", "textarea", "email", "phone", "url", "picklist"):
        if isinstance(value, (dict, list)):
            raise json_parser_error(f"Cannot deserialize instance of string from START_OBJECT value for field {field.name}")
        text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        if field.length and len(text) > field.length:
            raise SfApiError(400, "STRING_TOO_LONG",
                             f"{field.label or field.name}: data value too large: {text[:50]} (max length={field.length})",
                             [field.name])
        if kind == "picklist" and field.picklist and text not in field.picklist:
            raise SfApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                             f"{field.label or field.name}: bad value for restricted picklist field: {text}", [field.name])
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _deserialize_error("boolean", value)
    if kind in ("currency", "double", "percent", "int"):
        if isinstance(value, bool):
            raise _deserialize_error("double", value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _deserialize_error("double" if kind != "int" else "int", value) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _deserialize_error("double", value)
        return int(number) if kind == "int" else number
    if kind == "date":
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise _deserialize_error("date", value)
        return parsed.isoformat()
    if kind == "datetime":
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise _deserialize_error("datetime", value)
        return sf_datetime(parsed)
    if kind in ("reference", "id"):
        target = sobject_get(field.reference_to or obj.name)
        normal = id_normalise(value) if isinstance(value, str) else None
        if normal is None or (target is not None and not normal.startswith(target.key_prefix)):
            raise malformed_id(target.name if target else obj.name, str(value), field.name)
        return normal
    return value
