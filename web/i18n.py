"""Words, times and numbers for the reader: their language (en or id) and their time zone.

The catalogs are the .po files under web/locale/, compiled in memory when first used (no .mo files to
build or to go stale; docs/decisions.md). The language is the reader's choice (a cookie set by the
language switcher), else the best of their browser's Accept-Language, else English. The zone is the one
their browser reported at sign-in (a cookie), else the workspace's."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LOCALES = ("en", "id")
DEFAULT_LOCALE = "en"
LANGUAGE_NAMES = {"en": "English", "id": "Bahasa Indonesia"}  # each in its own language, never translated
LOCALE_COOKIE = "postgate_lang"
ZONE_COOKIE = "postgate_tz"
# Old browsers still send ISO 639's withdrawn "in" for Indonesian.
ALIASES = {"in": "id"}


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    with po_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate_locale(chosen: str | None, accept_language: str | None) -> str:
    """The reader's language: their choice if we have it, else the best match of Accept-Language, else en."""
    if chosen in LOCALES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        primary = ALIASES.get(primary, primary)
        if primary in LOCALES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def valid_zone(name: str | None) -> str | None:
    if not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def zone_abbreviation(moment: datetime) -> str:
    """The zone's short name at that moment (WIB, CET, CEST); "UTC+07" where the zone has no letters."""
    name = moment.tzname() or "UTC"
    if name[:1] in "+-":
        sign, digits = name[0], name[1:]
        return f"UTC{sign}{digits[:2]}" + (f":{digits[2:]}" if digits[2:] else "")
    return name


@dataclass(frozen=True)
class Reader:
    """Who reads the page, for formatting: language and time zone."""

    locale: str
    zone: str = ""  # an IANA zone; "" until known (then the workspace's, else UTC)

    def defaulting_to(self, zone: str | None) -> Reader:
        """This reader, in `zone` unless they chose one."""
        return self if self.zone or not zone else Reader(self.locale, zone)

    @property
    def translations(self) -> gettext.NullTranslations:
        return translations(self.locale)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def instant(self, moment: datetime, *, now: datetime | None = None) -> str:
        """An instant as the reader reads it: "Tue 8 Dec 09:00 WIB" / "Sel 8 Des 09.00 WIB" (with the year
        when it is not this year's)."""
        zone = ZoneInfo(self.zone or "UTC")
        local = moment.astimezone(zone)
        this_year = (now or datetime.now(UTC)).astimezone(zone).year
        tr = self.translations
        # Translators: a CLDR date pattern (EEE weekday, d day, MMM month, HH:mm time); Indonesian writes 09.00.
        pattern = tr.gettext("EEE d MMM HH:mm") if local.year == this_year else tr.gettext("EEE d MMM y HH:mm")
        return f"{format_datetime(local, pattern, locale=self.locale)} {zone_abbreviation(local)}"

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)
