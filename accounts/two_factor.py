"""The second factor of a break-glass administrator: a TOTP code (django-otp).

With single sign-on on, an administrator who signs in with a password sets up
an authenticator app at the first sign-in (a QR code and the key to type) and
gives its current code every time after. django-otp throttles wrong codes.
"""

from __future__ import annotations

import base64
import io

from django import forms
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import identity
from accounts.middleware import OIDC_BACKEND


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _device(user) -> tuple[TOTPDevice, bool]:
    """The user's confirmed device, or the one being set up (True)."""
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        return confirmed, False
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name="break-glass", confirmed=False)
    return pending, True


def _setup_context(device: TOTPDevice) -> dict[str, str]:
    import qrcode
    import qrcode.image.svg

    svg = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(svg)
    return {
        "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode(),
        "secret": base64.b32encode(device.bin_key).decode(),
    }


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    if not settings.OIDC_ISSUER:
        raise Http404  # without single sign-on a password is all it takes
    if request.user.is_verified() or request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
        return redirect("home")
    device, setting_up = _device(request.user)
    form = CodeForm(request.POST or None)
    if form.is_valid() and not device.verify_is_allowed()[0]:
        form.add_error("code", _("Too many wrong codes. Wait a little, then give the current one."))
    elif form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            what = "second factor set up" if setting_up else "second factor given"
            identity.sign_in_log(request.user, f"signed in with a password, {what}")
            return redirect("home")
        form.add_error("code", _("The code is not right. Give the one the app shows now."))
    context = {"form": form, "setting_up": setting_up}
    if setting_up:
        context.update(_setup_context(device))
    return render(request, "accounts/second_factor.html", context)
