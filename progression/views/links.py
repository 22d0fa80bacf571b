"""The citizen's one-time link: made by the caseworker, answered without a login."""

from __future__ import annotations

import base64
import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from progression import selectors, services
from progression.citizen_texts import FALLBACK_LANGUAGES, direction, texts_for
from progression.forms import CitizenScoresForm, LinkCreateForm
from progression.models import LANGUAGES

LANGUAGE_NAMES = dict(LANGUAGES)


def _qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an SVG data URI: drawn here, no script, no outside request.

    An <img> with a data URI passes the CSP (img-src 'self' data:), where
    inline SVG markup with style attributes would not.
    """
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
@require_POST
def link_create(request: HttpRequest, round_uuid) -> HttpResponse:
    """Make a one-time link for the round and show it once, with its QR code.

    A new link for the same round leaves the older unused ones valid until they
    expire: the caseworker may have sent one by text message and printed
    another. Whichever is answered last holds the citizen's scores.
    """
    round_ = selectors.get_round_for_user(request.user, round_uuid, for_edit=True)
    form = LinkCreateForm(request.POST)
    context = {
        "round": round_,
        "form": form,
        "back_url": reverse("progression:round_edit", args=[round_.uuid]),
        "title": _("Link for the citizen's own assessment"),
    }
    if form.is_valid():
        link, token = services.citizen_link_create(
            actor=request.user, round_=round_, language=form.cleaned_data["language"]
        )
        url = request.build_absolute_uri(reverse("progression:citizen_form", args=[token]))
        context.update(
            link=link,
            url=url,
            qr=_qr_data_uri(url),
            language_name=LANGUAGE_NAMES[link.language],
            days=settings.CITIZEN_LINK_DAYS,
            # An answer through the link replaces citizen scores entered earlier.
            replaces_answer=selectors.has_citizen_scores(round_),
        )
    return render(request, "progression/link_created.html", context)


def _citizen_page(
    request: HttpRequest, template: str, context: dict, language: str, status: int = 200
) -> HttpResponse:
    context = {
        **context,
        "lang": language,
        "dir": direction(language),
        "rtl": direction(language) == "rtl",
        "municipality_name": settings.MUNICIPALITY_NAME,
    }
    response = render(request, template, context, status=status)
    # Nothing of a person is shown, but the page is one citizen's: no cache keeps it.
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response.headers["Content-Language"] = language
    return response


def _unusable(request: HttpRequest, refusal: services.LinkNotUsable) -> HttpResponse:
    reason, language = refusal.reason, refusal.language
    languages = (language,) if language else FALLBACK_LANGUAGES
    notices = [
        {
            "lang": code,
            "dir": direction(code),
            "title": texts_for(code)[f"{reason}_title"],
            "text": texts_for(code)[f"{reason}_text"],
        }
        for code in languages
    ]
    return _citizen_page(
        request,
        "progression/citizen_unusable.html",
        {"notices": notices},
        languages[0],
        status=404 if reason == "unknown" else 410,
    )


@require_http_methods(["GET", "POST"])
def citizen_form(request: HttpRequest, token: str) -> HttpResponse:
    """The citizen's own 1–5 scores: only the questions, in the link's language."""
    try:
        link = services.citizen_link_get(token)
    except services.LinkNotUsable as exc:
        return _unusable(request, exc)
    language = link.language
    form = CitizenScoresForm(
        request.POST if request.method == "POST" else None,
        items=selectors.items_of(link.round.questionnaire),
        language=language,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_link_answer(token=token, scores=form.scores())
        except services.LinkNotUsable as exc:
            # Spent or expired between the check above and the answer.
            return _unusable(request, exc)
        return _citizen_page(
            request, "progression/citizen_done.html", {"t": texts_for(language)}, language
        )
    return _citizen_page(
        request,
        "progression/citizen_form.html",
        {"form": form, "rows": form.rows(), "t": form.texts},
        language,
    )
