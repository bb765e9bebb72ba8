"""The admin on django-unfold: Ledgerlink's name everywhere, pages grouped by job, machinery hidden
from Finance staff, no link to a debug page, every admin on the theme's base class."""
from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from unfold.admin import ModelAdmin

from config.admin_json import json_compact
from config.admin_navigation import NEEDS_ATTENTION_URL_NAME
from integrations.permissions import ADMIN_GROUP, FINANCE_GROUP
from tests.integrations.staff_dataset import users

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    return users(django_user_model)


def _sidebar(client, user) -> str:
    client.force_login(user)
    page = client.get(reverse("admin:index")).content.decode()
    return page[page.index('id="nav-sidebar-apps"'):]


def test_ledgerlink_not_django_on_the_sign_in_home_and_sign_out_pages(client, people):
    assert "Ledgerlink" in client.get(reverse("admin:login")).content.decode()
    client.force_login(people[FINANCE_GROUP])
    for page in (client.get(reverse("admin:index")), client.post(reverse("admin:logout"))):
        text = page.content.decode()
        assert "Ledgerlink" in text and "Django administration" not in text and "Django site admin" not in text


def test_view_site_leads_to_the_dashboard_not_a_debug_page(client, people):
    client.force_login(people[FINANCE_GROUP])
    page = client.get(reverse("admin:index")).content.decode()
    assert 'href="/monitoring/dashboard/"' in page and 'href="/"' not in page
    assert admin.site.site_url == reverse("monitoring:dashboard")


def test_finance_sees_the_job_groups_and_no_internals(client, people):
    sidebar = _sidebar(client, people[FINANCE_GROUP])
    for group in ("Work", "Deals", "Monitoring", "Setup"):
        assert re.search(rf">\s*{group}\s*<", sidebar), group
    for machinery in ("Internals", "Successful tasks", "Users", "social-auth", "Inbound events"):
        assert machinery not in sidebar
    assert f'href="{reverse(NEEDS_ATTENTION_URL_NAME)}"' in sidebar
    assert f'href="{reverse("integrations:records_search")}"' in sidebar


def test_integration_admins_find_the_internals(client, people):
    sidebar = _sidebar(client, people[ADMIN_GROUP])
    assert "Internals" in sidebar and f'href="{reverse("admin:django_q_failure_changelist")}"' in sidebar


def test_every_admin_is_on_the_themes_base_class():
    assert [m._meta.label for m, ma in admin.site._registry.items() if not isinstance(ma, ModelAdmin)] == []


def test_read_only_json_is_one_line_that_unfolds_with_no_inline_style():
    html = json_compact([{"name": "to_decimal"}, {"name": "round", "args": {"places": 2}}] * 5)
    assert html.startswith('<details class="ll-json"><summary>') and "style=" not in html
    assert "…</summary>" in html and "&quot;places&quot;: 2" in html
    assert json_compact({}) == '<span class="ll-json-empty">{}</span>'
