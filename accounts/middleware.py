from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control


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
