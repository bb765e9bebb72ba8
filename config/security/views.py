"""Two-factor pages: enrol a TOTP device (authenticator app), and verify a sign-in with it."""
from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import site
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from .forms import TokenForm
from .twofactor import two_factor_required


WRONG = "That code is not right, or has expired: enter the code your app shows now."
# Each wrong code doubles the wait before the next is checked (django-otp's throttling).
TOO_FAST = "Too many wrong codes: wait a little (the wait doubles with each wrong code), then enter the code your app shows."


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _page(request, template: str, form: TokenForm, status: int = 200, **context) -> TemplateResponse:
    context = {**site.each_context(request), "form": form, "next": _next_url(request), **context}
    return TemplateResponse(request, template, context, status=status)


@staff_member_required
def otp_verify(request):
    """The second step of a sign-in for a user with a confirmed device."""
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('security:otp_enrol')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = not any(d.verify_is_allowed()[0] for d in django_otp.devices_for_user(request.user))
        device = None if throttled else django_otp.match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", TOO_FAST if throttled else WRONG)
    return _page(request, "security/otp_verify.html", form, status=400 if form.errors else 200,
                 title="Two-factor sign-in")


def _qr_data_uri(device: TOTPDevice) -> str:
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@staff_member_required
def otp_enrol(request):
    """Enrol an authenticator app: scan the code (or type the key), then confirm with one code."""
    if user_has_device(request.user, confirmed=True):
        if not request.user.is_verified():
            return redirect(f"{reverse('security:otp_verify')}?{urlencode({'next': _next_url(request)})}")
        messages.info(request, "Two-factor sign-in is already set up for your account.")
        return redirect(_next_url(request))
    device = (TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
              or TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            messages.success(request, "Two-factor sign-in is set up: each sign-in now asks for a code from your app.")
            return redirect(_next_url(request))
        form.add_error("token", WRONG if allowed else TOO_FAST)
    return _page(request, "security/otp_enrol.html", form, status=400 if form.errors else 200,
                 title="Set up two-factor sign-in", qr_code=_qr_data_uri(device),
                 key=base64.b32encode(device.bin_key).decode(), issuer=settings.OTP_TOTP_ISSUER,
                 required=two_factor_required(request.user))
