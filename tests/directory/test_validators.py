import pytest
from django.core.exceptions import ValidationError

from preau.directory.validators import uai_check_letter, validate_uai


@pytest.mark.parametrize("uai", ["0750654D", "0690026D", "0750654d", " 0750654D "])
def test_real_uai_are_accepted(uai: str) -> None:
    validate_uai(uai)


@pytest.mark.parametrize(
    ("uai", "code"),
    [
        ("0750654E", "uai_check"),
        ("075065D", "uai_format"),
        ("0750654I", "uai_format"),
        ("", "uai_format"),
    ],
)
def test_bad_uai_is_refused_with_a_reason(uai: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_uai(uai)
    assert exc.value.code == code


def test_check_letter_is_the_remainder_modulo_23() -> None:
    assert uai_check_letter("0000000") == "A"
    assert uai_check_letter("0000022") == "Z"
