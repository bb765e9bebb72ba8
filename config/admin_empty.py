"""Empty admin lists that say what they are for and offer the next step (issue 16, "ready on day one").

A ModelAdmin sets ``empty_help`` (plain sentences) and ``empty_actions``: buttons to pages by URL name,
each offered only to users who hold its named permission. Shown when the list has no rows at all, not
when a filter or search merely finds none.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class EmptyAction:
    label: str
    url_name: str
    method: str = "get"  # "post": a form button (the view changes something)
    permission: str = ""  # blank: a page every staff user may open
    note: str = ""
    anchor: str = ""

    def url(self) -> str:
        return reverse(self.url_name) + (f"#{self.anchor}" if self.anchor else "")


class EmptyStateAdmin:
    change_list_template = "admin/empty_state_change_list.html"
    empty_help: str = ""
    empty_actions: tuple[EmptyAction, ...] = ()

    def changelist_view(self, request, extra_context=None):
        offered = [a for a in self.empty_actions if not a.permission or request.user.has_perm(a.permission)]
        extra = {"empty_state": {"help": self.empty_help, "actions": offered}}
        return super().changelist_view(request, {**extra, **(extra_context or {})})
