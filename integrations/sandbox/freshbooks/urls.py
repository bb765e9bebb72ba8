"""/sandbox/freshbooks/: the simulator root. The official SDKs work against it with
FRESHBOOKS_API_URL and FRESHBOOKS_AUTH_URL both set to this root."""
from django.urls import path, re_path

from . import views_accounting, views_auth, views_events, views_pages

app_name = "sandbox_freshbooks"

ACCOUNT = "accounting/account/<str:account_id>"
EVENTS = "events/account/<str:account_id>/events/callbacks"

urlpatterns = [
    # auth service (both documented endpoint sets)
    re_path(r"^(?:service/auth/)?oauth/authorize/?$", views_auth.authorize, name="authorize"),
    re_path(r"^(?:auth|service/auth)/oauth/token/?$", views_auth.token, name="token"),
    re_path(r"^(?:auth|service/auth)/oauth/revoke/?$", views_auth.revoke, name="revoke"),
    path("auth/api/v1/users/me", views_auth.users_me, name="users-me"),
    # accounting API
    path(f"{ACCOUNT}/<str:section>/<str:collection>", views_accounting.collection),
    path(f"{ACCOUNT}/<str:section>/<str:collection>/<str:object_id>", views_accounting.member),
    path(f"{ACCOUNT}/<path:rest>", views_accounting.unknown),
    # events API (webhook callbacks)
    path(EVENTS, views_events.callbacks),
    path(f"{EVENTS}/<str:callback_id>", views_events.callback),
    # pages for people
    *views_pages.urlpatterns,
]
