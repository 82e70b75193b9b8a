"""Keep the translation catalogues in step with the code.

    python scripts/i18n.py update    # extract messages, merge into zh_CN and en catalogues
    python scripts/i18n.py check     # exit 1 if a message has no Chinese translation
    python scripts/i18n.py compile   # write the .mo files Flask-Babel reads

Message ids are English; Chinese (zh_CN) is the default UI language.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "geoapp" / "translations"
LOCALES = ("zh_CN",)  # English is the msgid itself
METHODS = [("geoapp/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None, "_l": None}


def extract() -> Catalog:
    template = Catalog(project="geoapp")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if "node_modules" in filename or ".venv" in filename:
            continue
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(locale: str) -> Path:
    # Babel names zh_CN "zh_Hans_CN", and gettext then looks in zh_Hans_CN/ or zh/.
    folder = locale.split("_")[0]
    return TRANSLATIONS / folder / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=locale)
    return Catalog(locale=locale, project="geoapp")


def update() -> None:
    template = extract()
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = BytesIO()
        write_po(buf, catalog, width=0, omit_header=False, sort_output=False)
        path.write_bytes(buf.getvalue())
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {len(missing(catalog))} untranslated")


def missing(catalog: Catalog) -> list[str]:
    return [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


def check() -> int:
    template = extract()
    catalog = load("zh_CN")
    known = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    absent = [m.id for m in template if m.id and m.id not in known]
    for msg in absent:
        print(f"no Chinese translation: {msg!r}")
    return 1 if absent else 0


def compile_all() -> None:
    for locale in LOCALES:
        path = po_path(locale)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        with path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    else:
        sys.exit(check())
