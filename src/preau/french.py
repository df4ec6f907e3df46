"""Small rules of written French that the pages apply to text they did not write.

- :func:`de`: the preposition "de" before a name, elided before a vowel or a mute h
  (« la date de naissance d’Arthur », « la demande d’aide de Zoé »).
- :func:`paragraphs`: a text typed by an operator (the charter) cut into paragraphs at blank
  lines only, the single line breaks of a pasted text joined.

Both are template filters too (``{% load french %}``: ``{{ name|de }}``,
``{{ text|paragraphs }}``).
"""

from __future__ import annotations

import re
import unicodedata

APOSTROPHE = "\u2019"  # the typographic apostrophe of French text: ’
_VOWELS = frozenset("aeiouy")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^(?:[-–—•*]|\d{1,2}[.)]|[a-z][.)])\s")


def _base_letters(text: str) -> str:
    """Lower-case letters without their accents (``Élise`` → ``elise``)."""
    folded = text.strip().casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def elides(word: str) -> bool:
    """Whether "de", "le", "que"… elide before ``word``: it starts with a vowel (``Aaron``,
    ``Élodie``, ``Yves``) or with an h followed by a vowel, taken as mute (``Hugo``, ``Hélène``).

    A y before a vowel is a consonant (``Yasmine``, ``Yann``: « de Yann »). Whether an h is
    aspirated cannot be read from a name; names with a mute h are by far the most common.
    """
    letters = _base_letters(word)
    if not letters or not letters[0].isalpha():
        return False
    first, rest = letters[0], letters[1:]
    if first == "y":
        return bool(rest) and rest[0].isalpha() and rest[0] not in _VOWELS
    if first == "h":
        return bool(rest) and rest[0] in _VOWELS
    return first in _VOWELS


def de(name: str) -> str:
    """« de Zoé », « d’Aaron », « d’Hélène »: the preposition and ``name``, elided as French
    writes it."""
    name = str(name).strip()
    return f"d{APOSTROPHE}{name}" if elides(name) else f"de {name}"


def paragraphs(text: str) -> list[str]:
    """``text`` as paragraphs: split at blank lines; inside a paragraph the line breaks of a
    text pasted from a document (hard-wrapped lines) are joined with a space, but a line that
    starts a list item (``- ``, ``• ``, ``1. ``…) stays on its own line (kept as ``\n``)."""
    normalized = str(text).replace("\r\n", "\n").replace("\r", "\n")
    found = []
    for block in _BLANK_LINE.split(normalized):
        lines: list[str] = []
        for raw in block.split("\n"):
            line = " ".join(raw.split())
            if not line:
                continue
            if lines and not _LIST_ITEM.match(line):
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        if lines:
            found.append("\n".join(lines))
    return found
