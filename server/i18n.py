"""Translation for every string a person reads: ``_``, ``ngettext``, ``lazy_gettext`` and the
active language.

The active language lives in a context variable: the web middleware sets it per request
(``server.web.locale``), and ``with use_locale("fr"):`` switches it for a block (an e-mail
in its reader's language, a federated text in its group's language). Messages are English
source strings looked up in the catalogs of ``server.i18n_catalogs``; a language without a
catalog (or a message missing from it) reads in English.

    _("Meetup cancelled.")
    _("%(name)s joined") % {"name": name}
    ngettext("%(num)d seat left", "%(num)d seats left", n) % {"num": n}
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.support import LazyProxy, Translations

from server.i18n_catalogs import LOCALE_DIR, load_translations

DEFAULT_LANGUAGE = "en"
#: Languages a person can choose (each has complete catalogs, English being the source).
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es")
#: Written right to left: pages in these languages are laid out mirrored, catalog or not.
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ckb", "dv"})
#: Each language's own name, as a language switcher lists it.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "es": "Español"}

_active_language: ContextVar[str] = ContextVar("hearth_language", default=DEFAULT_LANGUAGE)
_catalogs: dict[str, Translations | NullTranslations] = {}


def _catalog(language: str) -> Translations | NullTranslations:
    catalog = _catalogs.get(language)
    if catalog is None:
        catalog = load_translations(language, LOCALE_DIR) or NullTranslations()
        _catalogs[language] = catalog
    return catalog


def reload_catalogs() -> None:
    """Forget loaded catalogs (they are read again, recompiled if stale, on next use)."""
    _catalogs.clear()


def get_locale() -> str:
    """The active language tag (``"en"``, ``"fr"``, ...)."""
    return _active_language.get()


def set_locale(language: str) -> None:
    """Make ``language`` the active language for the rest of this context (a request)."""
    _active_language.set(primary_tag(language) or DEFAULT_LANGUAGE)


@contextmanager
def use_locale(language: str | None) -> Iterator[str]:
    """Switch the active language for a block (None or "" keeps the current one)."""
    tag = primary_tag(language or "") or get_locale()
    token = _active_language.set(tag)
    try:
        yield tag
    finally:
        _active_language.reset(token)


def primary_tag(language: str) -> str:
    """The lower-case primary subtag of a BCP 47 tag: ``"fr"`` of ``"fr-CA"``, or ""."""
    head = language.strip().replace("_", "-").split("-", 1)[0].lower()
    return head if head.isascii() and head.isalpha() and 2 <= len(head) <= 3 else ""


def text_direction(language: str | None = None) -> str:
    """``"rtl"`` for right-to-left languages, else ``"ltr"`` (the active language by default)."""
    return "rtl" if primary_tag(language or get_locale()) in RTL_LANGUAGES else "ltr"


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the active language; ``%(name)s`` placeholders filled from keywords."""
    text = _catalog(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for ``num``, by the active language's plural rules."""
    text = _catalog(get_locale()).ngettext(singular, plural, num)
    return text % variables if variables else text


def pgettext(context: str, message: str, **variables: Any) -> str:
    """``message`` in a context, for words that translate differently by use ("May")."""
    text = _catalog(get_locale()).pgettext(context, message)
    return text % variables if variables else text


def npgettext(context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
    """``ngettext`` with a context."""
    text = _catalog(get_locale()).npgettext(context, singular, plural, num)
    return text % variables if variables else text


def lazy_gettext(message: str) -> LazyProxy:
    """``message``, translated each time it is used as text (for module-level constants)."""
    return LazyProxy(gettext, message, enable_cache=False)


def lazy_ngettext(singular: str, plural: str, num: int) -> LazyProxy:
    """``ngettext``, translated each time it is used."""
    return LazyProxy(ngettext, singular, plural, num, enable_cache=False)


def translate_in(language: str | None, message: str) -> str:
    """``message`` in ``language`` (the active one for None), whatever is active."""
    with use_locale(language):
        return gettext(message)


_ = gettext  # the name extraction looks for (babel.cfg), as everywhere gettext is used


def language_name(language: str) -> str:
    """A language's name in itself ("Français"), as a language switcher lists it."""
    if language in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[language]
    try:
        name = Locale.parse(language).get_display_name(language)
    except (ValueError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:] if name else language


def is_language_tag(tag: str) -> bool:
    """Whether ``tag`` names a language CLDR knows ("fr", "de-AT", "ar")."""
    try:
        Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return bool(primary_tag(tag))


def content_language(own: str, instance_language: str) -> str:
    """The language a group (or anything with a language setting) writes in: its own,
    else the instance's, as a primary tag ("fr")."""
    return primary_tag(own) or primary_tag(instance_language) or DEFAULT_LANGUAGE
