"""Marker for translatable message templates in code that cannot import Flask-Babel.

``N_("...")`` returns its argument unchanged; ``pybabel extract -k N_`` collects it,
and the web layer or the CLI translates it when the message is shown.
"""


def N_(message: str) -> str:
    return message


class Phrase(str):
    """A message parameter that is itself a msgid (``Phrase(N_("self-intersection"))``):
    translated together with its template by ``render`` and by errors' ``render``."""

    def translated(self, translate) -> str:
        return translate(str(self))


class Phrases(Phrase):
    """A list of (prefix, msgid, suffix), e.g. ``2: self-intersection [114.1 27.1]; 5: …``,
    whose msgids are translated with the template."""

    def __new__(cls, items):
        items = tuple(items)
        text = super().__new__(cls, "; ".join(f"{a}{m}{b}" for a, m, b in items))
        text.items = items
        return text

    def translated(self, translate) -> str:
        return "; ".join(f"{a}{translate(m)}{b}" for a, m, b in self.items)


def render(template: str, params: dict, translate) -> str:
    """``template`` translated and filled with ``params``, Phrase parameters translated too."""
    params = {k: v.translated(translate) if isinstance(v, Phrase) else v for k, v in params.items()}
    return translate(template) % params if params else translate(template)
