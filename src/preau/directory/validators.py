"""Validation of the national identifiers the directory stores."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# UAI (ex-RNE): 7 digits (département on 3 digits, Corsica as 620/720, then a serial) and a check
# letter: the 7-digit number modulo 23 indexes "ABCDEFGHJKLMNPRSTUVWXYZ" (0750654D, 0690026D).
UAI_RE = re.compile(r"^\d{7}[A-HJ-NPR-Z]$")
UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(first7: str) -> str:
    """Check letter of a UAI's first 7 digits."""
    return UAI_CHECK_LETTERS[int(first7) % 23]


def normalize_uai(value: str) -> str:
    return value.strip().upper()


def validate_uai(value: str) -> None:
    uai = normalize_uai(value)
    if not UAI_RE.match(uai):
        raise ValidationError(
            _(
                "« %(uai)s » n'est pas un UAI : 7 chiffres puis une lettre de contrôle "
                "(ex. 0750654D)."
            ),
            code="uai_format",
            params={"uai": value},
        )
    if uai_check_letter(uai[:7]) != uai[7]:
        raise ValidationError(
            _("La lettre de contrôle de l'UAI « %(uai)s » est fausse : vérifiez la saisie."),
            code="uai_check",
            params={"uai": value},
        )


INE_RE = re.compile(r"^[0-9A-Z]{10}[A-Z]$")


def validate_ine(value: str) -> None:
    """INE: 11 characters (10 letters/digits then a letter)."""
    if not INE_RE.match(value.strip().upper()):
        raise ValidationError(
            _("« %(ine)s » n'est pas un INE (11 caractères, ex. 070803070AJ)."),
            code="ine_format",
            params={"ine": value},
        )
