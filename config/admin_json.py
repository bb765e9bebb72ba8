"""How the admin shows a read-only JSON field: one line, unfolding to the whole document.

django-unfold shows read-only JSON highlighted by pygments with inline ``style`` attributes, which the
Content-Security-Policy refuses, and at full length (a mapping set's transforms made its page several
screens wide). Here: a ``<details>`` whose summary is the start of the JSON on one line and whose body is
the indented JSON, wrapping (styled by config/static/ledgerlink/admin.css). Installed over unfold's
renderer by integrations/admin_thirdparty.py.
"""
from __future__ import annotations

import json

from django.utils.html import format_html

SUMMARY_CHARS = 80


def json_compact(data, encoder=None):
    text = json.dumps(data, sort_keys=True, indent=2, cls=encoder, default=str)
    if data in ({}, [], None, ""):
        return format_html('<span class="ll-json-empty">{}</span>', text)
    line = json.dumps(data, sort_keys=True, cls=encoder, default=str)
    summary = line if len(line) <= SUMMARY_CHARS else line[:SUMMARY_CHARS] + "…"
    return format_html('<details class="ll-json"><summary>{}</summary><pre>{}</pre></details>', summary, text)
