"""Phone numbers: the one rule for what a mobile number is, and how numbers are written.

A *mobile number*, for Préau, is a number its SMS can reach: the recovery codes, the proof of a
number, the warnings of a change. The rule, :func:`mobile_e164`, is used by the imports (a
number outside it is a problem on its line: docs/import-formats.md), by every form that takes a
mobile ("Mon compte", the first connection) and by what shows a stored number to its owner
(a stored number outside the rule is never pre-filled into a form: see
``preau.signin.forms.ContactForm``). Numbers are stored in E.164 (``+33612345678``).

The rule: ``phonenumbers`` (Google's libphonenumber metadata) says the number is **valid** and
of type ``MOBILE`` (or ``FIXED_LINE_OR_MOBILE``, for countries that do not tell them apart, such
as the United States). A number typed without a country code is read as French, then as one of
the overseas departments and territories whose mobiles are not +33 (``0692…`` typed in La
Réunion is ``+262 692…``).

Why ``is_valid_number`` and not ``is_possible_number``: "possible" only checks the length, so it
would take ``07 19 05 30 04``. Metropolitan mobiles are ``06`` and ``07``, but the ARCEP has
allocated ``07 00`` to ``07 29`` to no operator (``07 00`` is kept for 14-digit machine-to-machine
numbers): no telephone answers them, an SMS sent there is lost, and a parent who gave one would
believe she can recover her account by SMS when she cannot. The same holds for the unallocated
blocks of the overseas ranges (``0691 0…`` in Guadeloupe). The price: a block the ARCEP opens is
refused until ``phonenumbers`` (a dependency, released monthly) knows it; keep it up to date.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# France first, then the overseas departments and territories whose mobiles are not +33.
PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)

# The reasons a typed number is not a mobile number, as ValidationError codes:
INVALID = "invalid"  # not a telephone number at all (letters, too short, too long)
NOT_MOBILE = "not_mobile"  # a landline, a premium-rate or a VoIP number
UNASSIGNED = "unassigned"  # the shape of a number, in a block no operator holds

MOBILE_MESSAGES = {
    INVALID: gettext_lazy(
        "Ce numéro de téléphone n'est pas valide : saisissez-le avec ses 10 chiffres, par "
        "exemple 06 12 34 56 78, ou au format international, par exemple +33 6 12 34 56 78."
    ),
    NOT_MOBILE: gettext_lazy(
        "Ce numéro n'est pas celui d'un téléphone mobile : indiquez un numéro de "
        "mobile (en 06 ou 07 en métropole) pour recevoir des SMS."
    ),
    UNASSIGNED: gettext_lazy(
        "Ce numéro n'est attribué à aucun téléphone mobile : vérifiez ses chiffres. En "
        "métropole, les numéros de mobile commencent par 06 ou 07 (mais jamais par 070, 071 "
        "ou 072)."
    ),
}


# The fast path of the rule, for nearly every number an import or a form reads: a French mobile
# written ``06…``/``07…``, ``+33 6…`` or ``0033 6…`` (spaces, dots or hyphens between digits).
# Its national number is checked against the very pattern ``phonenumbers`` uses for French
# mobiles (its metadata, so a newly allocated block is accepted the day phonenumbers knows it),
# which is what the full rule would conclude (tests/notify/test_phones.py compares the two on
# every block). Anything else (overseas, foreign, invalid) takes the full rule.
_FR_MOBILE_SHAPE = re.compile(r"(?:\+33|0033|0)([67]\d{8})")
_FR_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("FR")
if _FR_METADATA is None or _FR_METADATA.mobile is None:  # pragma: no cover - broken install
    raise ImportError("phonenumbers has no metadata for France's mobiles")
_FR_MOBILE_NSN = re.compile(str(_FR_METADATA.mobile.national_number_pattern))
_SEPARATORS = str.maketrans("", "", " .-")


def _candidates(text: str) -> Iterator[phonenumbers.PhoneNumber]:
    """``text`` read with its own country code, or else as a number of each region, lazily:
    a French mobile (nearly every number) is parsed once, not once per region."""
    regions: tuple[str | None, ...] = (None,) if text.startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            yield phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mobile_e164(raw: str) -> str:
    """THE rule: a mobile number as typed (``06 12 34 56 78``, ``+33 6…``, ``0033 6…``,
    ``0692…``) in E.164; "" for a blank value. Otherwise ``ValidationError`` whose code is
    :data:`INVALID`, :data:`NOT_MOBILE` or :data:`UNASSIGNED`, with the message of
    :data:`MOBILE_MESSAGES` (forms show it as it is; imports say it their own way)."""
    text = raw.strip()
    if not text:
        return ""
    verdict, value = _mobile_verdict(text)
    if verdict:
        return value
    raise ValidationError(MOBILE_MESSAGES[value], code=value)


@functools.lru_cache(maxsize=65536)
def _mobile_verdict(text: str) -> tuple[bool, str]:
    """(True, E.164) or (False, error code) for a stripped number. A French mobile is read by
    its pattern (about 1 µs); other numbers by ``phonenumbers`` (about 0.1 ms a parse),
    cached: a school's file holds a few overseas or foreign numbers, read again every year."""
    shape = _FR_MOBILE_SHAPE.fullmatch(text.translate(_SEPARATORS))
    if shape is not None and _FR_MOBILE_NSN.fullmatch(shape[1]):
        return True, "+33" + shape[1]
    return _mobile_verdict_full(text)


def _mobile_verdict_full(text: str) -> tuple[bool, str]:
    """The rule by ``phonenumbers`` alone (what the fast path of :func:`_mobile_verdict` must
    agree with)."""
    code = INVALID
    for number in _candidates(text):
        if phonenumbers.is_valid_number(number):
            if phonenumbers.number_type(number) in _MOBILE_TYPES:
                return True, _e164(number)
            code = NOT_MOBILE
        elif code == INVALID and phonenumbers.is_possible_number(number):
            code = UNASSIGNED
    return False, code


def mobile_is_valid(value: str) -> bool:
    """Whether ``value`` (typed, or stored in E.164) passes :func:`mobile_e164`."""
    try:
        return bool(mobile_e164(value))
    except ValidationError:
        return False


def phone_e164(raw: str) -> str:
    """Any telephone number (mobile or not) in E.164; ``ValidationError`` if it is none.
    The SMS channel's check of a recipient, and the recovery's reading of a typed number;
    what may be *stored* as a mobile is :func:`mobile_e164`."""
    text = raw.strip()
    for number in _candidates(text):
        if phonenumbers.is_valid_number(number):
            return _e164(number)
    raise ValidationError(
        _("« %(number)s » n'est pas un numéro de téléphone valide.") % {"number": text[:30]},
        code="invalid_phone",
    )


def mobile_display(e164: str) -> str:
    """``+33612345678`` as people read it: ``06 12 34 56 78`` (international if foreign)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


__all__ = [
    "INVALID",
    "MOBILE_MESSAGES",
    "NOT_MOBILE",
    "PHONE_REGIONS",
    "UNASSIGNED",
    "mobile_display",
    "mobile_e164",
    "mobile_is_valid",
    "phone_e164",
]
