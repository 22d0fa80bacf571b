"""The two steps of an upload page whose CSV file is written only once confirmed.

The check runs the import without writing and previews its report; a clean
file waits server-side and the confirm runs the same import again on it. The
citizen, employment and benchmark imports all work this way.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.csvimport import ImportReport
from common.forms import read_upload


class Waiting(Protocol):
    """Where a checked file waits for the confirm (integration's UploadWaiting)."""

    def drop(self, *, session: MutableMapping, user: Any) -> None: ...

    def keep(self, *, session: MutableMapping, user: Any, raw: bytes, meta: dict) -> None: ...

    def take(self, *, session: MutableMapping, user: Any) -> tuple[dict, str] | None: ...


@dataclass(frozen=True)
class CheckedUpload:
    """One import's upload and confirm pages, for users with ``permission``.

    ``meta`` turns the form's cleaned data into the JSON values the file waits
    with (the file's name is added); ``run`` runs the import from those values
    alone, so the check and the confirm run it the same way; ``show`` renders
    its report. ``upload_url`` is where a confirm with nothing waiting goes.
    """

    waiting: Waiting
    form_class: type[forms.Form]
    template: str
    upload_url: str
    permission: str
    meta: Callable[[dict], dict]
    run: Callable[..., ImportReport]
    show: Callable[[HttpRequest, ImportReport, dict], HttpResponse]
    context: Callable[[], dict] = dict

    def upload(self, request: HttpRequest) -> HttpResponse:
        self.waiting.drop(session=request.session, user=request.user)
        form = self.form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            raw, filename = read_upload(form.cleaned_data["file"])
            meta = {**self.meta(form.cleaned_data), "filename": filename}
            report = self.run(raw, meta, user=request.user, commit=False)
            if report.ok:
                self.waiting.keep(session=request.session, user=request.user, raw=raw, meta=meta)
            return self.show(request, report, meta)
        return render(request, self.template, {"form": form, **self.context()})

    def confirm(self, request: HttpRequest) -> HttpResponse:
        taken = self.waiting.take(session=request.session, user=request.user)
        if taken is None:
            messages.error(request, _("There is no checked file waiting; upload it again."))
            return redirect(self.upload_url)
        meta, text = taken
        report = self.run(text, meta, user=request.user, commit=True)
        return self.show(request, report, meta)

    def views(self) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
        """The upload page (GET and POST) and its confirm (POST only), each for a
        signed-in user with ``permission``: others are sent to sign in or refused
        with 403 before the method is looked at."""

        def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return login_required(permission_required(self.permission, raise_exception=True)(view))

        return (
            guarded(require_http_methods(["GET", "POST"])(self.upload)),
            guarded(require_POST(self.confirm)),
        )
