"""What an access-log row's "what" says, in the reader's language.

The log stores a fixed English phrase (some with a file name, a form or a
record kind in it), so that it reads the same whoever wrote it and in which
language; the pages and the export show it through :func:`what_display`.
A phrase this module does not know is shown as it was stored.
"""

from __future__ import annotations

import re
from functools import cache

from django.apps import apps
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integration.models import FACT_MODELS

# Every fixed phrase the product writes (grep for ``what=``).
FIXED = {
    gettext_noop("access log"),
    gettext_noop("access log citizen search"),
    gettext_noop("access log export"),
    gettext_noop("case created"),
    gettext_noop("case edit form"),
    gettext_noop("case close form"),
    gettext_noop("case reopen form"),
    gettext_noop("case page"),
    gettext_noop("case page, full CPR"),
    gettext_noop("caseload"),
    gettext_noop("caseload search"),
    gettext_noop("change history"),
    gettext_noop("citizen changed"),
    gettext_noop("new case: CPR number registered already"),
    gettext_noop("new progression round"),
    gettext_noop("progression"),
    gettext_noop("progression round"),
    gettext_noop("progression round saved"),
    gettext_noop("provider referral list"),
    gettext_noop("provider scores saved"),
    gettext_noop("provider scoring"),
    gettext_noop("signed in (single sign-on)"),
}
# A phrase that ends in a file name: the part before it is translated.
WITH_FILE = {
    "citizen import ": gettext_noop("citizen import %(file)s"),
    "employment import ": gettext_noop("employment import %(file)s"),
    "measurement import ": gettext_noop("measurement import %(file)s"),
}
SIGN_IN_REFUSED = re.compile(r"^sign-in refused(?: for (?P<who>.+?))?: (?P<reason>.*)$", re.S)


@cache
def _models_by_english_name() -> dict[str, type]:
    with translation.override("en"):
        return {str(m._meta.verbose_name): m for m in apps.get_models()}


def what_display(what: str) -> str:
    """``what`` in the active language (the stored text when it is not known)."""
    if what in FIXED:
        return _(what)
    for prefix, template in WITH_FILE.items():
        if what.startswith(prefix):
            return _(template) % {"file": what.removeprefix(prefix)}
    if what.endswith(" form") and what.removesuffix(" form") in FACT_MODELS:
        model = FACT_MODELS[what.removesuffix(" form")]
        return _("%(what)s form") % {"what": model._meta.verbose_name}
    if what.endswith(" changed"):
        model = _models_by_english_name().get(what.removesuffix(" changed"))
        if model is not None:
            return _("%(what)s changed") % {"what": model._meta.verbose_name}
    refused = SIGN_IN_REFUSED.match(what)
    if refused:
        if refused["who"]:
            return _("sign-in refused for %(who)s: %(reason)s") % refused.groupdict()
        return _("sign-in refused: %(reason)s") % {"reason": refused["reason"]}
    return what
