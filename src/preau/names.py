"""How names are folded to compare them: the logins' letters (``prenom.nom``), the imports'
matching of one person in two files, the SMS sign-up's matching of what a parent types with what
the school's files say. One rule, below every app that needs it (activation may not import
provisioning).

* Letters are folded to ASCII: accents dropped (``é`` → ``e``, ``Nguyễn`` → ``nguyen``), ligatures
  and letters without a decomposition spelt out (``œ`` → ``oe``, ``ß`` → ``ss``, ``Ł`` → ``l``),
  then lower-cased; apostrophes vanish (:func:`fold_ascii`).
* :func:`names_key` compares names without case, accents, spaces or punctuation:
  ``N'Diaye`` = ``NDIAYE``, ``Jean Marc`` = ``jean-marc``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters that Unicode does not decompose into an ASCII letter plus marks.
_SPECIAL = str.maketrans(
    {
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ß": "ss",
        "ẞ": "ss",
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "h",
        "ŀ": "l",
        "Ŀ": "l",
        "ŋ": "n",
        "Ŋ": "n",
        "ſ": "s",
        "ĸ": "k",
    }
)
_APOSTROPHES = re.compile(r"['’‘ʼ`´ʻ]")


def fold_ascii(value: str) -> str:
    """Lower-case ASCII letters and digits of ``value``, other characters kept as separators."""
    text = _APOSTROPHES.sub("", value.translate(_SPECIAL))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Anything still outside ASCII (another script) becomes a separator.
    return text.encode("ascii", "replace").decode("ascii").replace("?", " ").lower()


@functools.lru_cache(maxsize=65536)
def names_key(last_name: str, first_name: str) -> str:
    """Names compared without case, accents, spaces or punctuation (``N'Diaye`` = ``NDIAYE``)."""
    return "|".join(re.sub(r"[^a-z0-9]", "", fold_ascii(p)) for p in (last_name, first_name))
