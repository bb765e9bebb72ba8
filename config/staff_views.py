"""Staff pages outside the admin site: a staff login first, then one named permission.

``staff_member_required`` alone lets every staff user in, whatever their group; each page
names the permission it needs, and a staff user without it gets a 403 (not the login page
again, which would read as "wrong password").
"""
from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied


def staff_permission_required(perm: str):
    def decorator(view):
        return staff_member_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def staff_permission_check(user, perm: str) -> None:
    """The same rule inside a flow that is not a view of ours (the social-auth "Connect" steps)."""
    if not (user.is_active and user.is_staff and user.has_perm(perm)):
        raise PermissionDenied


class PermissionRequiredBackend:
    """A social-auth backend whose every step needs a named permission: begin (``start``), the
    return from the provider (``complete``, which stores tokens) and ``disconnect``. For the
    "Connect" backends, which put tokens on a Connection rather than log anybody in."""

    required_permission = ""

    def _permission_check(self) -> None:
        staff_permission_check(self.strategy.request.user, self.required_permission)

    def start(self):
        self._permission_check()
        return super().start()

    def complete(self, *args, **kwargs):
        self._permission_check()
        return super().complete(*args, **kwargs)

    def disconnect(self, *args, **kwargs):
        self._permission_check()
        return super().disconnect(*args, **kwargs)
