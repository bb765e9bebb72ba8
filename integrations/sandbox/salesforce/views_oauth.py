"""OAuth endpoints of the simulated login server and the identity URL."""
from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import oauth
from .errors import OAuthError
from .models import SfUser
from .org import integration_user, org_get
from .views_api import bearer_token, json_response


def instance_url(request) -> str:
    return request.build_absolute_uri(reverse("sandbox-salesforce:index")).rstrip("/")


def _oauth_error(exc: OAuthError) -> HttpResponse:
    return json_response({"error": exc.error, "error_description": exc.description}, exc.status)


def _basic(request) -> tuple | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@csrf_exempt
@require_POST
def token(request):
    form = request.POST.dict()
    grant = form.get("grant_type", "")
    root = instance_url(request)
    try:
        if grant == "authorization_code":
            body = oauth.grant_authorization_code(form, _basic(request), root)
        elif grant == "refresh_token":
            body = oauth.grant_refresh_token(form, _basic(request), root)
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            body = oauth.grant_jwt_bearer(form, root)
        elif grant == "client_credentials":
            body = oauth.grant_client_credentials(form, _basic(request), root)
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
    except OAuthError as exc:
        return _oauth_error(exc)
    return json_response(body, 200)


@csrf_exempt
@require_POST
def revoke(request):
    try:
        oauth.token_revoke(request.POST.get("token", ""))
    except OAuthError as exc:
        return _oauth_error(exc)
    return HttpResponse(status=200)


# The simulator has no login page: the approval screen stands for "logged in as a user and
# clicked Allow", so the POST needs no CSRF token (it plays another site).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    try:
        app = oauth.app_for(params.get("client_id", ""))
    except OAuthError as exc:
        return render(request, "sandbox/salesforce/authorize_error.html", {"error": exc}, status=400)
    redirect_uri = params.get("redirect_uri", "")
    # The callback URL must be one the connected app lists, exactly; an app listing none accepts none.
    if params.get("response_type") != "code" or not redirect_uri or redirect_uri not in app.redirect_uri_list():
        error = OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration") if redirect_uri \
            else OAuthError("invalid_request", "missing required redirect_uri parameter")
        if params.get("response_type") != "code":
            error = OAuthError("unsupported_response_type", "response type not supported")
        return render(request, "sandbox/salesforce/authorize_error.html", {"error": error}, status=400)
    fields = {k: params.get(k, "") for k in ("response_type", "client_id", "redirect_uri", "state", "scope",
                                            "code_challenge", "code_challenge_method")}
    if request.method == "GET":
        return render(request, "sandbox/salesforce/authorize.html",
                      {"app": app, "fields": fields, "users": SfUser.objects.order_by("username"),
                       "default_user": integration_user()})
    state = {"state": fields["state"]} if fields["state"] else {}
    if request.POST.get("decision") != "allow":
        query = {"error": "access_denied", "error_description": "end-user denied authorization", **state}
        return HttpResponseRedirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}")
    user = SfUser.objects.filter(pk=request.POST.get("user") or 0).first() or integration_user()
    code = oauth.code_issue(app=app, user=user, redirect_uri=redirect_uri, challenge=fields["code_challenge"],
                            method=fields["code_challenge_method"] or ("S256" if fields["code_challenge"] else ""),
                            scope=fields["scope"] or app.scopes)
    query = {"code": code, **state}
    return HttpResponseRedirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(query)}")


def identity(request, org_id: str, user_id: str):
    session = oauth.session_valid(bearer_token(request) or request.GET.get("access_token", ""))
    if session is None:
        return HttpResponse("Bad_OAuth_Token", status=403, content_type="text/plain")
    org, user = org_get(), session.user
    if user.sf_id != user_id or org.org_id != org_id:
        return HttpResponse("Bad_id", status=403, content_type="text/plain")
    root = instance_url(request)
    return json_response({
        "id": f"{root}/id/{org.org_id}/{user.sf_id}", "asserted_user": True, "user_id": user.sf_id,
        "organization_id": org.org_id, "username": user.username, "nick_name": user.username.split("@")[0],
        "display_name": user.name, "email": user.email, "first_name": user.name.split(" ")[0],
        "last_name": user.name.split(" ")[-1], "active": True, "user_type": "STANDARD", "language": "en_US",
        "locale": "en_US", "utcOffset": 0,
        "urls": {"rest": f"{root}/services/data/v{{version}}/", "sobjects": f"{root}/services/data/v{{version}}/sobjects/",
                 "query": f"{root}/services/data/v{{version}}/query/", "limits": f"{root}/services/data/v{{version}}/limits/"},
    }, 200)
