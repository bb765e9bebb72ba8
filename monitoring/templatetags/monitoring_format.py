"""Formatting for monitoring pages: durations people can read at a glance."""
from django import template

from monitoring.dashboard import fmt_ms

register = template.Library()


@register.filter
def ms(value):
    return fmt_ms(value)


@register.filter
def seconds(value):
    """Seconds → '45 s', '12 min', '3.5 h', '2 days'."""
    if value is None:
        return "—"
    value = float(value)
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if value >= size:
            n = value / size
            return f"{n:.0f} {unit}" if n >= 10 or n == int(n) else f"{n:.1f} {unit}"
    return f"{value:.0f} s"


@register.filter
def percent(value):
    return "—" if value is None else f"{value:g}%"
