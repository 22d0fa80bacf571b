"""The Danish catalogue is complete and its committed .mo matches the .po.

GNU gettext is not needed at run time: the compiled file is committed, so
this test fails when someone edits the .po and forgets `make messages`.
"""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries(catalogue) -> dict:
    out = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
        out[key] = (
            tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
            if entry.msgid_plural
            else entry.msgstr
        )
    return out


def test_every_danish_message_is_translated():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(PO))
    mo = polib.mofile(str(MO))
    assert _entries(mo) == _entries(po)


@pytest.mark.parametrize(("language", "expected"), [("da", "Sagsliste"), ("en", "Caseload")])
def test_interface_speaks_the_chosen_language(language, expected):
    with translation.override(language):
        assert translation.gettext("Caseload") == expected
