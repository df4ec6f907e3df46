"""The one rule for a mobile number (preau.notify.phones), and the places that must all use it:
the imports, the forms of "Mon compte" and of the first connection."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from preau.notify import phones
from preau.notify.phones import mobile_display, mobile_e164, mobile_is_valid
from preau.provisioning.readers import normalize_mobile
from preau.signin.forms import ContactForm, MobileField

ACCEPTED = [
    ("06 12 34 56 78", "+33612345678"),
    ("0612345678", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("(06) 12-34-56-78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033 6 12 34 56 78", "+33612345678"),
    ("07 49 05 30 04", "+33749053004"),
    ("07 30 00 00 00", "+33730000000"),  # the first block of 07 in service
    ("07 99 99 99 99", "+33799999999"),
    ("0692 12 34 56", "+262692123456"),  # La Réunion
    ("0639 01 23 45", "+262639012345"),  # Mayotte
    ("0690 12 34 56", "+590690123456"),  # Guadeloupe
    ("0696 12 34 56", "+596696123456"),  # Martinique
    ("+32 470 12 34 56", "+32470123456"),  # Belgium
    ("+44 7911 123456", "+447911123456"),  # United Kingdom
    ("+1 650 253 0000", "+16502530000"),  # United States: fixed and mobile look alike
]

REFUSED = [
    # Ten digits, but in blocks no operator holds (07 00 to 07 29; an overseas gap).
    ("07 19 05 30 04", phones.UNASSIGNED),
    ("07 00 34 52 69", phones.UNASSIGNED),
    ("0729497224", phones.UNASSIGNED),
    ("+33 7 11 22 33 44", phones.UNASSIGNED),
    ("0691 00 00 00", phones.UNASSIGNED),
    # Landlines and other numbers that are not mobiles.
    ("01 45 45 45 45", phones.NOT_MOBILE),
    ("04 78 12 34 56", phones.NOT_MOBILE),
    ("09 70 12 34 56", phones.NOT_MOBILE),
    # No telephone number at all.
    ("06 12", phones.INVALID),
    ("+33 6 12 34 56 78 90", phones.INVALID),
    ("bonjour", phones.INVALID),
    ("12", phones.INVALID),
]


@pytest.mark.parametrize(("typed", "e164"), ACCEPTED)
def test_a_mobile_in_service_is_stored_in_e164(typed: str, e164: str) -> None:
    assert mobile_e164(typed) == e164
    assert mobile_e164(e164) == e164  # a stored number passes again
    assert mobile_is_valid(e164)


@pytest.mark.parametrize(("typed", "code"), REFUSED)
def test_a_number_outside_the_rule_is_refused_with_its_reason(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        mobile_e164(typed)
    assert refused.value.code == code
    assert str(refused.value.message) == str(phones.MOBILE_MESSAGES[code])
    assert not mobile_is_valid(typed)


def test_the_ten_digits_number_of_the_issue_is_told_why() -> None:
    """Issue 12: "pas valide" for a number of ten digits left the parent without a clue."""
    with pytest.raises(ValidationError) as refused:
        mobile_e164("07 19 05 30 04")
    message = str(refused.value.message)
    assert "n'est attribué à aucun téléphone mobile" in message
    assert "070, 071 ou 072" in message


def test_blank_is_no_number() -> None:
    assert mobile_e164("") == ""
    assert mobile_e164("   ") == ""
    assert not mobile_is_valid("")


@pytest.mark.parametrize("typed", [t for t, _ in ACCEPTED] + [t for t, _ in REFUSED])
def test_imports_and_forms_apply_the_same_rule(typed: str) -> None:
    try:
        expected: str | None = mobile_e164(typed)
    except ValidationError:
        expected = None
    assert normalize_mobile(typed) == expected
    field = MobileField(required=False)
    try:
        assert field.clean(typed) == expected
    except ValidationError:
        assert expected is None
    assert ContactForm(data={"mobile": typed}).is_valid() is (expected is not None)


def test_numbers_are_shown_as_people_write_them() -> None:
    assert mobile_display("+33612345678") == "06 12 34 56 78"
    assert mobile_display("+33719053004") == "07 19 05 30 04"  # even outside the rule
    assert mobile_display("+32470123456") == "+32 470 12 34 56"
    assert mobile_display("") == ""


def test_the_fast_path_agrees_with_phonenumbers_on_every_block() -> None:
    """French mobiles are read by a pattern (imports read 200,000 numbers): on every block of
    06 and 07, written the ways people write them, the verdict is phonenumbers' own."""
    checked = 0
    for block in range(600, 800):
        for tail in ("000000", "123456", "999999", "505050"):
            digits = f"{block}{tail}"
            for typed in (
                f"0{digits}",
                f"0{digits[:1]} {digits[1:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}",
                f"+33 {digits}",
                f"0033.{digits}",
            ):
                assert phones._mobile_verdict(typed) == phones._mobile_verdict_full(typed), typed
                checked += 1
    assert checked == 3200
    # Numbers just off the shape take the full rule, and keep its verdict.
    for typed in ("+33 06 12 34 56 78", "06 12 34 56 7", "06 12 34 56 789", "6 12 34 56 78"):
        assert phones._mobile_verdict(typed) == phones._mobile_verdict_full(typed), typed
