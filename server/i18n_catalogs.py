"""Translation catalogs: ``server/locale/<lang>/LC_MESSAGES/*.po``, compiled to ``.mo``.

Every ``.po`` file of a language is one domain of its catalog (while several people work
on the translations at once, each owns a domain); a language's domains are merged into one
set of translations. ``.mo`` files are build products: ``hearth compile-translations``
writes them (the Dockerfile runs it), and loading compiles any ``.mo`` that is missing or
older than its ``.po`` — in memory when the package directory is read-only.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"

log = logging.getLogger(__name__)


def catalog_languages(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """The languages that have at least one ``.po`` file, sorted."""
    if not locale_dir.is_dir():
        return []
    return sorted(
        entry.name for entry in locale_dir.iterdir() if any((entry / "LC_MESSAGES").glob("*.po"))
    )


def _po_files(locale_dir: Path, language: str) -> list[Path]:
    return sorted((locale_dir / language / "LC_MESSAGES").glob("*.po"))


def _is_stale(po_path: Path, mo_path: Path) -> bool:
    return not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime


def _compiled(po_path: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` file (fuzzy entries left out, as msgfmt does)."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=po_path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogs(locale_dir: Path = LOCALE_DIR, *, force: bool = False) -> list[Path]:
    """Write the ``.mo`` of every ``.po`` that has none or an older one; the paths written."""
    written = []
    for language in catalog_languages(locale_dir):
        for po_path in _po_files(locale_dir, language):
            mo_path = po_path.with_suffix(".mo")
            if force or _is_stale(po_path, mo_path):
                mo_path.write_bytes(_compiled(po_path))
                written.append(mo_path)
    return written


def _domain_bytes(po_path: Path) -> bytes:
    """A domain's compiled bytes: its up-to-date ``.mo``, compiled now if stale (and saved
    when the directory is writable)."""
    mo_path = po_path.with_suffix(".mo")
    if not _is_stale(po_path, mo_path):
        return mo_path.read_bytes()
    data = _compiled(po_path)
    try:
        mo_path.write_bytes(data)
    except OSError as exc:
        log.info("translations compiled in memory (%s is not writable: %s)", mo_path, exc)
    return data


def load_translations(language: str, locale_dir: Path = LOCALE_DIR) -> Translations | None:
    """All domains of a language merged into one catalog, or None when it has none."""
    merged: Translations | None = None
    for po_path in _po_files(locale_dir, language):
        domain = Translations(io.BytesIO(_domain_bytes(po_path)))
        merged = domain if merged is None else merged.merge(domain)
    return merged
