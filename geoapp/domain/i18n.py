"""Marker for translatable message templates in code that cannot import Flask-Babel.

``N_("...")`` returns its argument unchanged; ``pybabel extract -k N_`` collects it,
and the web layer or the CLI translates it when the message is shown.
"""


def N_(message: str) -> str:
    return message
