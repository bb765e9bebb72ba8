"""/sandbox/salesforce/: the instance root (/services/data/…, /services/oauth2/…, /id/…) and
pages a person can use in a browser."""
from django.urls import path, re_path

from . import pages, views_api, views_oauth

app_name = "sandbox-salesforce"
urlpatterns = [
    path("", pages.index, name="index"),
    re_path(r"^services/data/?(?P<path>.*)$", views_api.data_api, name="data"),
    re_path(r"^services/oauth2/authorize/?$", views_oauth.authorize, name="authorize"),
    re_path(r"^services/oauth2/token/?$", views_oauth.token, name="token"),
    re_path(r"^services/oauth2/revoke/?$", views_oauth.revoke, name="revoke"),
    path("id/<str:org_id>/<str:user_id>", views_oauth.identity, name="identity"),
    path("accounts/", pages.accounts, name="accounts"),
    path("accounts/<str:sf_id>/", pages.account, name="account"),
    path("contacts/", pages.contacts, name="contacts"),
    path("contacts/<str:sf_id>/", pages.contact, name="contact"),
    path("products/", pages.products, name="products"),
    path("opportunities/", pages.opportunities, name="opportunities"),
    path("opportunities/<str:sf_id>/", pages.opportunity, name="opportunity"),
    path("orders/", pages.orders, name="orders"),
    path("orders/<str:sf_id>/", pages.order, name="order"),
    path("events/", pages.events, name="events"),
    path("settings/", pages.org_settings, name="settings"),
]
