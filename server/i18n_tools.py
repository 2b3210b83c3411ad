"""Translators' tools, one command each (run from the repository root):

    python -m server.i18n_tools extract  # every message of the source: server/locale/messages.pot
    python -m server.i18n_tools update   # the template merged into each <lang>/.../messages.po
    python -m server.i18n_tools check    # what fr, de, es (or the languages given) miss

Extraction reads ``babel.cfg`` (Python under server/, Jinja templates under
server/templates/) with Hearth's gettext names. ``check`` is what CI's completeness test
runs: every message needs a non-fuzzy translation, every plural form filled, and the same
``%(name)s`` placeholders as the English.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from server.i18n_catalogs import LOCALE_DIR, catalog_languages

REPOSITORY = LOCALE_DIR.parents[1]
MAPPING = REPOSITORY / "babel.cfg"
TEMPLATE = LOCALE_DIR / "messages.pot"
#: The catalogs that must be complete.
REQUIRED_LANGUAGES = ("fr", "de", "es")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
_PLACEHOLDER_RE = re.compile(r"%\((\w+)\)[sdifr]")


def extract_catalog(root: Path = REPOSITORY) -> Catalog:
    """Every translatable message of the source, as ``pybabel extract -F babel.cfg`` finds it."""
    with MAPPING.open() as config:
        method_map, options_map = parse_mapping_cfg(config, str(MAPPING))
    catalog = Catalog(project="Hearth", copyright_holder="Hearth contributors")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template(catalog: Catalog, path: Path = TEMPLATE) -> None:
    with path.open("wb") as out:
        write_po(out, catalog, width=100, sort_by_file=True)


def update_catalogs(template: Catalog, languages: Iterable[str]) -> list[Path]:
    """Bring each language's ``messages.po`` in line with the template (new messages added
    untranslated, changed ones marked fuzzy, gone ones kept as obsolete)."""
    written = []
    for language in languages:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as source:
                catalog = read_po(source, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, project="Hearth", domain="messages", fuzzy=False)
        catalog.update(template, update_header_comment=False)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, sort_by_file=True)
        written.append(path)
    return written


def load_language(language: str) -> dict[tuple[object, str | None], Message]:
    """Every message of a language's catalogs (all ``.po`` files), by (id, context)."""
    messages: dict[tuple[object, str | None], Message] = {}
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as source:
            for message in read_po(source, locale=language):
                if message.id and message.string and not message.fuzzy:
                    messages.setdefault((message.id, message.context), message)
    return messages


@dataclass(frozen=True)
class Gap:
    language: str
    msgid: str
    context: str | None
    problem: str

    def __str__(self) -> str:
        where = f" [{self.context}]" if self.context else ""
        return f"{self.language}: {self.msgid!r}{where}: {self.problem}"


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER_RE.findall(text))


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or string as its forms (one, or singular and plurals)."""
    if isinstance(value, str):
        return (value,)
    return tuple(str(text or "") for text in value) if isinstance(value, tuple | list) else ("",)


def _gap(language: str, message: Message, translated: Message | None) -> str | None:
    if translated is None:
        return "not translated"
    ids, strings = _texts(message.id), _texts(translated.string)
    if not all(strings):
        return "a plural form is empty"
    wanted = set().union(*(_placeholders(text) for text in ids))
    for text in strings:
        extra = _placeholders(text) - wanted
        if extra:
            return f"unknown placeholders {sorted(extra)}"
    if len(ids) == 1 and _placeholders(strings[0]) != _placeholders(ids[0]):
        return "placeholders differ from the English"
    return None


def find_gaps(source: Catalog, languages: Iterable[str] = REQUIRED_LANGUAGES) -> list[Gap]:
    """What each language lacks for a complete translation of ``source``."""
    gaps = []
    for language in languages:
        for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as po_file:
                if read_po(po_file, locale=language).fuzzy:  # its Plural-Forms would be ignored
                    gaps.append(Gap(language, "", None, f"{path.name}: the header is fuzzy"))
        translated = load_language(language)
        for message in source:
            if not message.id:
                continue
            problem = _gap(language, message, translated.get((message.id, message.context)))
            if problem:
                gaps.append(Gap(language, _texts(message.id)[0], message.context, problem))
    return gaps


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    source = extract_catalog()
    if command == "extract":
        write_template(source)
        print(f"{len(source)} messages -> {TEMPLATE.relative_to(REPOSITORY)}")
        return 0
    if command == "update":
        languages = argv[1:] or catalog_languages()
        for path in update_catalogs(source, languages):
            print(f"updated {path.relative_to(REPOSITORY)}")
        return 0
    if command == "check":
        gaps = find_gaps(source, argv[1:] or REQUIRED_LANGUAGES)
        for gap in gaps:
            print(gap)
        print(f"{len(source)} messages; {len(gaps)} gaps")
        return 1 if gaps else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
