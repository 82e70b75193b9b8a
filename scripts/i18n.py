"""Keep the translation catalogues in step with the code.

    python scripts/i18n.py update    # extract messages, merge into zh_CN and en catalogues
    python scripts/i18n.py check     # exit 1 if a message has no Chinese translation, or a
                                     # *_LABELS / *_TEXT table in geoapp/ holds a bare string
    python scripts/i18n.py compile   # write the .mo files Flask-Babel reads

Message ids are English; Chinese (zh_CN) is the default UI language.
"""

from __future__ import annotations

import ast
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


LABEL_TABLE_SUFFIXES = ("LABELS", "LABEL", "TEXT", "TEXTS", "TITLES")


def _bare_strings(node: ast.AST) -> list[ast.Constant]:
    """English text in a table of labels not wrapped in N_()/_(): dict values, list items."""
    if isinstance(node, ast.Dict):
        values = node.values
    elif isinstance(node, ast.List | ast.Tuple):
        values = node.elts
    else:
        return []
    found = []
    for value in values:
        if (
            isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and any(c.isalpha() for c in value.value)
        ):
            if value.value.isascii():
                found.append(value)
        elif isinstance(value, ast.Tuple) and value.elts:  # (code, label): the code stays a code
            found.extend(_bare_strings(ast.Tuple(elts=value.elts[1:])))
        elif isinstance(value, ast.Dict | ast.List):
            found.extend(_bare_strings(value))
    return found


def unmarked_labels(root: Path = ROOT / "geoapp") -> list[str]:
    """Module-level tables of labels (``ID_TYPE_LABELS = {...}``) whose strings are not marked for
    translation: extraction never sees them, so they would reach the Chinese pages in English."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for stmt in tree.body:
            targets = (
                stmt.targets
                if isinstance(stmt, ast.Assign)
                else [stmt.target]
                if isinstance(stmt, ast.AnnAssign)
                else []
            )
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not any(n.isupper() and n.endswith(LABEL_TABLE_SUFFIXES) for n in names) or stmt.value is None:
                continue
            for const in _bare_strings(stmt.value):
                where = f"{path.relative_to(root.parent)}:{const.lineno}"
                problems.append(f"{where}: {names[0]} holds {const.value!r} not marked with N_()")
    return problems


def check() -> int:
    template = extract()
    catalog = load("zh_CN")
    known = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    absent = [m.id for m in template if m.id and m.id not in known]
    for msg in absent:
        print(f"no Chinese translation: {msg!r}")
    unmarked = unmarked_labels()
    for problem in unmarked:
        print(f"label outside the catalogue: {problem}")
    return 1 if absent or unmarked else 0


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
