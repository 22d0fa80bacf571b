"""Countries of origin as ISO 3166 codes, named in the user's language.

pycountry ships the ISO names and their translations as compiled catalogues,
so no GNU gettext is needed at run time.
"""

from __future__ import annotations

import gettext
from functools import cache, lru_cache

import pycountry
from django.utils.translation import get_language

from common.text import fold


@cache
def _translation(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def _english_name(country) -> str:
    return getattr(country, "common_name", None) or country.name


# Danish everyday names where the ISO catalogue gives the formal state name.
DANISH_COMMON_NAMES = {
    "SY": "Syrien",
    "IR": "Iran",
    "RU": "Rusland",
    "PS": "Palæstina",
    "CD": "Congo (DR)",
    "TZ": "Tanzania",
    "VE": "Venezuela",
    "MD": "Moldova",
}


def country_name(code: str, language: str | None = None) -> str:
    country = pycountry.countries.get(alpha_2=(code or "").upper())
    if country is None:
        return code
    language = (language or get_language() or "da")[:2]
    if language == "en":
        return _english_name(country)
    if language == "da" and country.alpha_2 in DANISH_COMMON_NAMES:
        return DANISH_COMMON_NAMES[country.alpha_2]
    return _translation(language).gettext(country.name)


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    return sorted(
        ((c.alpha_2, country_name(c.alpha_2, language)) for c in pycountry.countries),
        key=lambda pair: fold(pair[1]),
    )


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    da = _translation("da")
    for c in pycountry.countries:
        names = {c.alpha_2, c.alpha_3, c.name, _english_name(c), da.gettext(c.name)}
        official = getattr(c, "official_name", None)
        if official:
            names.add(official)
        for name in names:
            table.setdefault(fold(name), c.alpha_2)
    # Names Danish caseworkers write that the ISO catalogue spells otherwise.
    for alias, code in {
        "syrien": "SY",
        "iran": "IR",
        "rusland": "RU",
    }.items():
        table.setdefault(fold(alias), code)
    return table


def parse_country(text: str) -> str | None:
    """The ISO alpha-2 code for a Danish or English name or an ISO code."""
    text = text or ""
    # A long cell is no country's name, and is not kept in the cache.
    return _parse_country(text) if len(text) <= 100 else _lookup().get(fold(text))


@lru_cache(maxsize=1024)
def _parse_country(text: str) -> str | None:
    # Cached: an import's rows name a few dozen countries, and folding the
    # name again was a third of checking a citizen's row (make bench, size L).
    return _lookup().get(fold(text))
