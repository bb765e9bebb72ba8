"""The admins that django-q2 and social-auth-app-django register, held to Ledgerlink's rules:
every action checks a named permission, and no page renders a secret.

- django-q2 offers *Resubmit selected tasks* to anyone who can see a task list, view-only
  users included; resubmitting runs the task's function again (a backfill, a flow poll…).
  Here it needs the task's change permission (and delete too for failures: resubmitting one
  deletes it), which Finance staff do not have.
- django-axes offers *Clean up expired attempts* to anyone who can open its list: here it
  needs the delete permission it exercises (superusers only: sign-in records are no group's business).
- social-auth's UserSocialAuth keeps provider tokens in ``extra_data`` and Association its
  shared ``secret``: write-only like every other secret (left off the pages).
- DRF's token admin shows each operations-API token's key, a secret: it is not registered;
  tokens are made with ``manage.py drf_create_token <user>`` (docs/operations-api.md).
- django-unfold's read-only JSON (pygments, inline styles the CSP refuses, full width) is replaced by
  config/admin_json.py's one-line summary that unfolds.
- Every other admin a package registers (auth users and groups, django-q2's schedules, django-otp's
  devices…) is registered again on django-unfold's ModelAdmin, so its forms get the theme's widgets.

Imported by integrations.admin; django-q2 and social_django come earlier in INSTALLED_APPS,
and their admin modules are imported here first anyway, so the unregister always finds them.
"""
from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django.contrib import admin
from django_q import admin as q_admin
from django_q.models import Failure, Success
from rest_framework.authtoken import admin as authtoken_admin  # noqa: F401  (imported first: it registers TokenProxy)
from rest_framework.authtoken.models import TokenProxy
from social_django import admin as social_admin
from social_django.models import Association, UserSocialAuth
from unfold import fields as unfold_fields
from unfold.admin import ModelAdmin

from config.admin_json import json_compact
from config.admin_secrets import SecretFieldsAdmin

unfold_fields.prettify_json = json_compact  # unfold.fields calls it by this module-level name


@admin.action(description=q_admin.resubmit_task.short_description, permissions=["resubmit"])
def resubmit_task(modeladmin, request, queryset):
    q_admin.resubmit_task(modeladmin, request, queryset)


class TaskAdmin(q_admin.TaskAdmin, ModelAdmin):
    actions = [resubmit_task]

    def has_resubmit_permission(self, request):
        return self.has_change_permission(request)


class FailAdmin(q_admin.FailAdmin, ModelAdmin):
    actions = [resubmit_task]

    def has_resubmit_permission(self, request):
        return self.has_change_permission(request) and self.has_delete_permission(request)


@admin.action(description="Clean up expired attempts", permissions=["delete"])
def cleanup_expired_attempts(modeladmin, request, queryset):
    axes_admin.AccessAttemptAdmin.cleanup_expired_attempts(modeladmin, request, queryset)


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin, ModelAdmin):
    actions = [cleanup_expired_attempts]


class UserSocialAuthAdmin(SecretFieldsAdmin, social_admin.UserSocialAuthOption):
    secret_fields = ("extra_data",)  # access and refresh tokens of the provider


class AssociationAdmin(SecretFieldsAdmin, social_admin.AssociationOption):
    secret_fields = ("secret",)  # the MAC key (the handle only names it, in the clear)


for model, model_admin in [(Success, TaskAdmin), (Failure, FailAdmin), (UserSocialAuth, UserSocialAuthAdmin),
                           (Association, AssociationAdmin), (AccessAttempt, AccessAttemptAdmin)]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


admin.site.unregister(TokenProxy)
# The rest of the packages' admins, on the theme's base class (their own options and actions kept).
for model, model_admin in list(admin.site._registry.items()):
    if not isinstance(model_admin, ModelAdmin):
        admin.site.unregister(model)
        admin.site.register(model, type(type(model_admin).__name__, (type(model_admin), ModelAdmin), {}))
