"""Sign-in through the municipality's identity provider over OpenID Connect.

mozilla-django-oidc runs the authorization code flow with PKCE, state and
nonce. This module adds what it leaves to the project:

- the provider's endpoints come from its discovery document (``OIDC_ISSUER``),
  fetched when someone signs in and cached for an hour, so that the app starts
  without the provider and a laptop without ``OIDC_ISSUER`` never asks for it;
- the ID token's issuer, audience and expiry are checked (the library checks
  only the signature and the nonce);
- the claims become a protocol-neutral ``Identity``, provisioned through
  ``accounts.identity``; a refusal goes to a page that says why.

Tokens and claims are never logged; the ID token stays in the session only as
the hint for signing out at the provider.
"""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts.identity import (
    FAILED,
    REFUSAL_SESSION_KEY,
    Identity,
    SignInRefused,
    provision,
    refusal_log,
)

BACKEND_PATH = "accounts.oidc.OIDCBackend"
DISCOVERY_SECONDS = 3600
# mozilla-django-oidc's settings that the discovery document answers.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider_metadata() -> dict:
    """The provider's discovery document; its issuer must be ``OIDC_ISSUER`` exactly."""
    issuer = settings.OIDC_ISSUER
    key = f"oidc-discovery:{issuer}"
    metadata = cache.get(key)
    if metadata is None:
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
        )
        response.raise_for_status()
        metadata = response.json()
        if metadata.get("issuer") != issuer:
            raise ImproperlyConfigured("The provider's discovery document names another issuer.")
        cache.set(key, metadata, DISCOVERY_SECONDS)
    return metadata


def oidc_setting(attr: str, *default):
    if attr in DISCOVERED:
        return provider_metadata()[DISCOVERED[attr]]
    return import_from_settings(attr, *default)


def identity_from_claims(claims: dict) -> Identity:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    subject = str(claims["sub"])
    username = str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("email") or subject)
    return Identity(
        subject=subject,
        username=username[:150],
        email=str(claims.get("email") or ""),
        first_name=str(claims.get("given_name") or ""),
        last_name=str(claims.get("family_name") or ""),
        groups=tuple(str(g) for g in groups),
    )


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Endpoints are read at sign-in (authenticate), not when Django loads
        # the backends: without OIDC_ISSUER there are none.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not enabled() or request is None or "username" in kwargs:
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = oidc_setting("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = oidc_setting("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = oidc_setting("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """The signature, and that the token is this provider's, for this app, and current."""
        if jwt.get_unverified_header(payload).get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("The token is not signed with OIDC_RP_SIGN_ALGO.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=30,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            # The class says what failed (audience, issuer, expiry); the token stays out.
            raise SuspiciousOperation(f"ID token refused: {type(exc).__name__}") from None

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: the userinfo must be about the ID token's subject.
        if str(userinfo.get("sub")) != str(payload.get("sub")):
            raise SuspiciousOperation("The userinfo names another subject.")
        # Entra ID puts the groups in the ID token only; others in the userinfo.
        return provision(identity_from_claims({**payload, **userinfo}))


def _refused(request: HttpRequest, reason: str) -> HttpResponseRedirect:
    request.session[REFUSAL_SESSION_KEY] = reason
    return HttpResponseRedirect(reverse("sign_in_refused"))


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ImproperlyConfigured, KeyError, ValueError):
            refusal_log("provider unreachable")
            return _refused(request, FAILED)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; any doubt is a refusal."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            return super().get(request)
        except SignInRefused as refused:  # logged where it was decided
            return _refused(request, refused.reason)
        except (SuspiciousOperation, requests.RequestException) as exc:
            refusal_log(f"{FAILED} ({_why(exc)})")
            return _refused(request, FAILED)

    def login_failure(self):
        refusal_log(f"{FAILED} (the provider answered with an error or no state)")
        return _refused(self.request, FAILED)


def _why(exc: Exception) -> str:
    """What failed, in words that hold no token: a bad state, nonce or token, or a refused code."""
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return f"the provider refused the code, HTTP {status}"
    if isinstance(exc, requests.RequestException):
        return "the provider could not be reached"
    return str(exc)[:120]


def end_session_url(request: HttpRequest) -> str | None:
    """The provider's sign-out address (RP-initiated logout) when it advertises one."""
    id_token = request.session.get("oidc_id_token")
    if not (enabled() and id_token):
        return None
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except (requests.RequestException, ImproperlyConfigured, ValueError):
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}?{query}"
