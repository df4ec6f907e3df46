"""The password policy: each preset's rules, the checks every policy adds, the configuration."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured, ValidationError

from preau.directory.activation_codes import activation_code_digest
from preau.signin.password_policy import (
    PolicyPasswordValidator,
    is_common,
    password_policy,
    password_validate,
)


def codes(password: str, policy: str | dict[str, Any], **kwargs: Any) -> list[str]:
    return [
        str(e.code) for e in password_validate(password, policy=password_policy(policy), **kwargs)
    ]


def messages(password: str, policy: str, **kwargs: Any) -> list[str]:
    errors = password_validate(password, policy=password_policy(policy), **kwargs)
    return [m for e in errors for m in e.messages]


# --- preset (a): 8+, lower, upper, digit, special from !"#%&'()*+,-./:;<=>?@[_{}| -------------


@pytest.mark.parametrize(
    ("password", "failed"),
    [
        ("Tournesol#42b", []),
        ("Ab1!efgh", []),
        ("Ab1!efg", ["min_length"]),
        ("TOURNESOL#42", ["lower"]),
        ("tournesol#42", ["upper"]),
        ("Tournesol#ab", ["digit"]),
        ("Tournesol42b", ["special"]),
        ("Tournesol$42b", ["special"]),  # $ is not in (a)'s list
        ("Tournesol€42b", ["special"]),
        ("Tournesol_42b", []),
        ("Tournesol|42b", []),
        ('Tournesol"42b', []),
        ("ÉTÉ#42ÉTÉé", []),  # accented letters are letters
        ("", ["min_length", "lower", "upper", "digit", "special"]),
    ],
)
def test_preset_a_requires_length_lower_upper_digit_and_a_listed_special(
    password: str, failed: list[str]
) -> None:
    assert codes(password, "a") == failed


def test_preset_a_says_which_special_characters_count() -> None:
    assert messages("Tournesol42b", "a") == [
        "Le mot de passe doit contenir au moins un caractère spécial parmi "
        "! \" # % & ' ( ) * + , - . / : ; < = > ? @ [ _ { } |."
    ]


# --- preset (b): 8 to 14 characters with letters and digits -------------------------------------


@pytest.mark.parametrize(
    ("password", "failed"),
    [
        ("tournesol42", []),
        ("tqwzpvk3", []),
        ("tqwzpvkhjsmrd3", []),  # 14
        ("tqwzpvkhjsmrdx3", ["max_length"]),  # 15
        ("tqwzpv3", ["min_length"]),
        ("tournesolxyz", ["digit"]),
        ("9173528460", ["letter"]),
        ("Tour-nesol 42", []),  # other characters are allowed
    ],
)
def test_preset_b_wants_8_to_14_characters_with_letters_and_digits(
    password: str, failed: list[str]
) -> None:
    assert codes(password, "b") == failed


def test_preset_b_says_both_bounds() -> None:
    assert messages("tqwzpvkhjsmrdx3", "b") == [
        "Le mot de passe doit contenir au plus 14 caractères."
    ]
    assert messages("tqw1", "b") == ["Le mot de passe doit contenir au moins 8 caractères."]
    labels = [r.label for r in password_policy("b").rules if r.label]
    assert labels == ["Entre 8 et 14 caractères", "Au moins une lettre", "Au moins un chiffre"]


# --- preset (c): 8+, upper, special from !?@#&=+-%<> ---------------------------------------------


@pytest.mark.parametrize(
    ("password", "failed"),
    [
        ("Tournesol!", []),
        ("tournesol!", ["upper"]),
        ("Tournesol*", ["special"]),  # * is in (a)'s list, not (c)'s
        ("Tournesol.", ["special"]),
        ("Tour!", ["min_length"]),
        ("TOURNESOL<", []),
    ],
)
def test_preset_c_wants_8_characters_an_upper_case_letter_and_a_listed_special(
    password: str, failed: list[str]
) -> None:
    assert codes(password, "c") == failed


# --- what every policy adds ---------------------------------------------------------------------

PERSON = SimpleNamespace(
    login="helene.le-gall2",
    first_name="Hélène",
    last_name="Le Gall",
    other_first_names="Marie Anne",
    birth_date=dt.date(2011, 7, 14),
)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Xhelene.le-gall2#9", "identifier"),
        ("HELENE.LE-GALL2#9x", "identifier"),
        ("Helene#2024x", "name"),  # accents folded
        ("Hélène#2024x", "name"),
        ("Legall#2024xy", "name"),  # compound surname written as one word
        ("Zorro#14072011a", "birth_date"),
        ("Zorro#14/07/2011a", "birth_date"),
        ("Zorro#2011-07-14a", "birth_date"),
        ("Zorro#140711ab", "birth_date"),
    ],
)
def test_a_password_may_not_hold_the_identifier_the_names_or_the_birth_date(
    password: str, code: str
) -> None:
    assert code in codes(password, "a", account=PERSON)


def test_a_short_first_name_is_refused_as_the_whole_word_only() -> None:
    lea = SimpleNamespace(login="lea.bo", first_name="Léa", last_name="Bo", birth_date=None)
    assert "name" in codes("Lea2012!", "c", account=lea)
    assert "name" not in codes("Galeas#2012X", "c", account=lea)


@pytest.mark.parametrize("password", ["Azerty123!", "Soleil2024!", "MotDePasse1!", "Password1!"])
def test_common_passwords_are_refused_even_decorated(password: str) -> None:
    assert is_common(password)
    assert messages(password, "c")[-1].startswith("Ce mot de passe est trop courant")


def test_an_uncommon_password_is_not_called_common() -> None:
    assert not is_common("Tournesol#42b")


def test_the_activation_code_cannot_become_the_password() -> None:
    digest = activation_code_digest("K7MQ4XHA")
    assert codes("K7MQ4XHA", "b", activation_code_digest=digest) == ["activation_code"]
    assert codes("k7mq-4xha", "b", activation_code_digest=digest) == ["activation_code"]


def test_a_previous_password_is_refused_and_checked_last() -> None:
    history = [make_password("Tournesol#42b"), make_password("Autre#Mot2passe")]
    assert codes("Tournesol#42b", "a", previous_hashes=history) == ["reused"]
    assert messages("Tournesol#42b", "a", previous_hashes=history) == [
        "Vous avez déjà utilisé ce mot de passe récemment : choisissez-en un nouveau."
    ]
    assert codes("Tournesol#43b", "a", previous_hashes=history) == []


# --- configuration -------------------------------------------------------------------------------


def test_the_configured_preset_is_used(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_POLICY": "b"}
    assert password_policy().name == "b"
    assert [str(e.code) for e in password_validate("tournesol42")] == []


def test_a_policy_of_ones_own() -> None:
    custom = {"min_length": 12, "require": ["digit", "special"], "specials": "!?"}
    assert codes("tqwzpvkhjsm1!", custom) == []
    assert codes("tqwzpvkhjs1!", custom) == []
    assert codes("tqwzpvkhjsm1", custom) == ["special"]
    assert codes("tqw1!", custom) == ["min_length"]


@pytest.mark.parametrize(
    "setting",
    [
        "d",
        {"min_length": 8, "require": ["special"]},
        {"min_length": 8, "require": ["emoji"]},
        {"min_length": 12, "max_length": 10},
        42,
    ],
)
def test_a_policy_that_cannot_work_is_refused(setting: Any) -> None:
    with pytest.raises(ImproperlyConfigured):
        password_policy(setting)


def test_the_client_rules_describe_what_the_page_script_checks() -> None:
    assert password_policy("c").client_rules == [
        {"code": "min_length", "type": "min_length", "value": 8},
        {"code": "upper", "type": "class", "value": "upper"},
        {"code": "special", "type": "any_of", "value": "!?@#&=+-%<>"},
    ]


def test_the_django_validator_applies_the_policy(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_POLICY": "c"}
    validator = PolicyPasswordValidator()
    validator.validate("Tournesol!")
    with pytest.raises(ValidationError):
        validator.validate("tournesol")
    assert "Au moins une lettre majuscule" in validator.get_help_text()
