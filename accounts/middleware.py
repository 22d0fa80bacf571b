from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers, patch_cache_control

# Named here rather than imported: the middleware must not load the OIDC
# backend (and mozilla-django-oidc) for every request.
OIDC_BACKEND = "accounts.oidc.OIDCBackend"


class NoStoreForSignedInMiddleware:
    """Pages for a signed-in user may show a person: no cache may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or getattr(response, "shows_person", False):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class AnonymousBodyLimitMiddleware:
    """A visitor who is not signed in sends small forms only (sign-in, a
    citizen's answers): a larger body is refused before it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        too_large = not declared.isdigit() or int(declared) > settings.ANONYMOUS_BODY_MAX_BYTES
        if too_large and not request.user.is_authenticated:
            return HttpResponse(
                "The request is larger than this page accepts.\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class BreakGlassSecondFactorMiddleware:
    """With single sign-on on, a password sign-in (only administrators may)
    counts once its TOTP code is given: until then every page but the code's
    own, sign-out and the language switch sends the user to the code."""

    OPEN = frozenset({"second_factor", "logout", "set_language"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not settings.OIDC_ISSUER or not user.is_authenticated or user.is_verified():
            return None
        if request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
            return None
        if request.resolver_match.url_name in self.OPEN:
            return None
        return redirect("second_factor")
