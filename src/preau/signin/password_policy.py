"""The password policy: presets matching the ENTs Préau replaces, and the checks every policy adds.

``PREAU["PASSWORD_POLICY"]`` names a preset or describes a policy::

    "a"   at least 8 characters with a lower-case letter, an upper-case letter, a digit and a
          special character from  !"#%&'()*+,-./:;<=>?@[_{}|
    "b"   8 to 14 characters with letters and digits (at least one of each)
    "c"   at least 8 characters with an upper-case letter and a special character from
          !?@#&=+-%<>
    {"min_length": 10, "max_length": 64, "require": ["lower", "upper", "digit", "special"],
     "specials": "!?@#"}   a policy of one's own (``require``: letter, lower, upper, digit,
                           special)

Whatever the policy, a password must also not contain the identifier, the first or last name or
the birth date of its owner, must not be a common password (Django's list of 20,000 plus French
favourites, also when decorated with digits and symbols: ``Azerty123!``), must not be the
activation code of the letter, and must not be one of the account's last passwords (the caller
passes their hashes; see ``preau.signin.passwords``).

:func:`password_policy` gives the rules of the configured policy; each :class:`Rule` carries
the French sentence shown in the checklist and a small description the page's script uses to
tick it as one types. :func:`password_validate` is what the server decides with: it returns a
list of precise French errors (empty: accepted). :class:`PolicyPasswordValidator` plugs the same
checks into Django's ``AUTH_PASSWORD_VALIDATORS`` (admin, ``changepassword``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

from preau.conf import preau_setting

SPECIALS_A = "!\"#%&'()*+,-./:;<=>?@[_{}|"
SPECIALS_C = "!?@#&=+-%<>"

PRESETS: dict[str, dict[str, Any]] = {
    "a": {
        "min_length": 8,
        "max_length": None,
        "require": ["lower", "upper", "digit", "special"],
        "specials": SPECIALS_A,
    },
    "b": {"min_length": 8, "max_length": 14, "require": ["letter", "digit"], "specials": ""},
    "c": {
        "min_length": 8,
        "max_length": None,
        "require": ["upper", "special"],
        "specials": SPECIALS_C,
    },
}
REQUIREMENTS = ("letter", "lower", "upper", "digit", "special")

# Passwords French people choose first, beside Django's (mostly English) list of 20,000.
FRENCH_COMMON = frozenset(
    """
    azerty azertyuiop azertyuio azerty123 azer1234 qsdfghjklm wxcvbn motdepasse motdepass
    mdp123 mdpmdp soleil soleil123 bonjour bonsoir salut coucou doudou chouchou loulou
    nounours bisounours cheval chocolat princesse prince marseille paris lyon toulouse
    bordeaux lille nantes bretagne france francais liberte jetaime jetaimemon amour
    monamour mamour tresor bebe bebou cherie chaton chouquette fanfan caramel nutella
    pokemon minecraft fortnite football foot psg om olympique allezlom ronaldo mbappe
    neymar zidane papa maman famille mamie papi camille nicolas julien thomas sebastien
    stephane frederic christophe emilie manon chloe lea louise jade enzo lucas hugo
    arthur gabriel raphael louis pierre marie sophie isabelle nathalie celine aurelie
    vacances ecole college lycee eleve professeur prof pronote ent espace numerique
    ordinateur internet secret bienvenue changemoi changeme premiereconnexion connexion
    identifiant utilisateur jesuis moimeme toto titi tata tutu lolo lili lulu
    """.split()
)

_BIRTH_DATE_FORMATS = ("%d%m%Y", "%d%m%y", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
_NAME_MIN_LENGTH = 4  # "lea" inside "galeas" is not a tell; "Lea2012!" is (see _core)
_CORE_MIN_LENGTH = 5  # "Azerty123!" -> "azerty"; shorter cores are ordinary syllables


def fold(text: str) -> str:
    """Lower case without accents: how a guesser writes ``Hélène`` in a password."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Rule:
    """One line of the checklist: ``code``, the sentence, and what the page's script checks.

    ``js`` is ``{"type": "min_length", "value": 8}``, ``{"type": "max_length", …}``,
    ``{"type": "class", "value": "upper"}``, ``{"type": "any_of", "value": "!?@"}`` or
    ``{"type": "server"}`` (only the server can tell: common passwords, history…).
    """

    code: str
    label: str
    error: str
    check: Callable[[str], bool] = field(compare=False)
    js: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    name: str
    min_length: int
    max_length: int | None
    require: tuple[str, ...]
    specials: str
    rules: tuple[Rule, ...]

    @property
    def client_rules(self) -> list[dict[str, Any]]:
        """The checklist for the page's script (``json_script``)."""
        return [{"code": r.code, **r.js} for r in self.rules]


def _spaced(chars: str) -> str:
    return " ".join(chars)


def _class_rule(kind: str, specials: str) -> Rule:
    if kind == "letter":
        return Rule(
            "letter",
            _("Au moins une lettre"),
            _("Le mot de passe doit contenir au moins une lettre."),
            lambda p: any(ch.isalpha() for ch in p),
            {"type": "class", "value": "letter"},
        )
    if kind == "lower":
        return Rule(
            "lower",
            _("Au moins une lettre minuscule"),
            _("Le mot de passe doit contenir au moins une lettre minuscule."),
            lambda p: any(ch.islower() for ch in p),
            {"type": "class", "value": "lower"},
        )
    if kind == "upper":
        return Rule(
            "upper",
            _("Au moins une lettre majuscule"),
            _("Le mot de passe doit contenir au moins une lettre majuscule."),
            lambda p: any(ch.isupper() for ch in p),
            {"type": "class", "value": "upper"},
        )
    if kind == "digit":
        return Rule(
            "digit",
            _("Au moins un chiffre"),
            _("Le mot de passe doit contenir au moins un chiffre."),
            lambda p: any(ch in "0123456789" for ch in p),
            {"type": "class", "value": "digit"},
        )
    if kind == "special":
        return Rule(
            "special",
            _("Au moins un caractère spécial parmi %(chars)s") % {"chars": _spaced(specials)},
            _("Le mot de passe doit contenir au moins un caractère spécial parmi %(chars)s.")
            % {"chars": _spaced(specials)},
            lambda p: any(ch in specials for ch in p),
            {"type": "any_of", "value": specials},
        )
    raise ImproperlyConfigured(
        f"PREAU['PASSWORD_POLICY']: unknown requirement {kind!r} (known: {', '.join(REQUIREMENTS)})"
    )


def _build(name: str, spec: dict[str, Any]) -> Policy:
    min_length = int(spec.get("min_length") or 8)
    max_length = spec.get("max_length")
    max_length = int(max_length) if max_length else None
    require = tuple(spec.get("require") or ())
    specials = str(spec.get("specials") or "")
    if max_length is not None and max_length < min_length:
        raise ImproperlyConfigured("PREAU['PASSWORD_POLICY']: max_length is below min_length")
    if "special" in require and not specials:
        raise ImproperlyConfigured("PREAU['PASSWORD_POLICY']: 'special' needs 'specials'")
    rules: list[Rule] = []
    if max_length is None:
        rules.append(
            Rule(
                "min_length",
                _("Au moins %(min)d caractères") % {"min": min_length},
                _("Le mot de passe doit contenir au moins %(min)d caractères.")
                % {"min": min_length},
                lambda p: len(p) >= min_length,
                {"type": "min_length", "value": min_length},
            )
        )
    else:
        rules.append(
            Rule(
                "min_length",
                _("Entre %(min)d et %(max)d caractères") % {"min": min_length, "max": max_length},
                _("Le mot de passe doit contenir au moins %(min)d caractères.")
                % {"min": min_length},
                lambda p: len(p) >= min_length,
                {"type": "min_length", "value": min_length},
            )
        )
        rules.append(
            Rule(
                "max_length",
                "",  # shown together with min_length in the checklist
                _("Le mot de passe doit contenir au plus %(max)d caractères.")
                % {"max": max_length},
                lambda p: len(p) <= max_length,
                {"type": "max_length", "value": max_length},
            )
        )
    rules.extend(_class_rule(kind, specials) for kind in require)
    return Policy(
        name=name,
        min_length=min_length,
        max_length=max_length,
        require=require,
        specials=specials,
        rules=tuple(rules),
    )


def password_policy(setting: str | dict[str, Any] | None = None) -> Policy:
    """The configured policy (``PREAU["PASSWORD_POLICY"]``), or the one ``setting`` names."""
    chosen = preau_setting("PASSWORD_POLICY") if setting is None else setting
    if isinstance(chosen, str):
        key = chosen.strip().lower()
        if key not in PRESETS:
            raise ImproperlyConfigured(
                f"PREAU['PASSWORD_POLICY'] = {chosen!r}: use a preset ({', '.join(PRESETS)}) "
                "or a dict with min_length, max_length, require and specials."
            )
        return _build(key, PRESETS[key])
    if isinstance(chosen, dict):
        return _build("custom", chosen)
    raise ImproperlyConfigured("PREAU['PASSWORD_POLICY'] must be a preset name or a dict")


@cache
def _common_passwords() -> frozenset[str]:
    django_list = CommonPasswordValidator().passwords
    return frozenset(fold(p) for p in django_list) | FRENCH_COMMON


def is_common(password: str) -> bool:
    """A known password, also once decorated: ``Soleil2024!`` is ``soleil``."""
    common = _common_passwords()
    folded = fold(password)
    if folded in common:
        return True
    core = _core(folded)
    return len(core) >= _CORE_MIN_LENGTH and core in common


def _names(account: Any) -> list[str]:
    """Folded names and their words (``Hélène Le Gall`` -> helene, le, gall, legall)."""
    parts: list[str] = []
    for value in (
        getattr(account, "first_name", ""),
        getattr(account, "last_name", ""),
        getattr(account, "other_first_names", ""),
    ):
        folded = fold(value or "")
        parts.extend(w for w in re.split(r"[\s'’.-]+", folded) if w)
        parts.append(re.sub(r"[\s'’.-]+", "", folded))
    login = fold(getattr(account, "login", "") or "")
    parts.extend(re.sub(r"\d+$", "", p) for p in re.split(r"[._-]+", login))
    return [p for p in dict.fromkeys(parts) if p]


def _birth_date_forms(birth_date: date | None) -> list[str]:
    if birth_date is None:
        return []
    return [birth_date.strftime(f) for f in _BIRTH_DATE_FORMATS]


def _core(folded: str) -> str:
    """The letters between leading and trailing digits and symbols: ``lea2012!`` -> ``lea``."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", folded)


def personal_errors(password: str, account: Any) -> list[ValidationError]:
    """The checks tied to the person: identifier, names, birth date."""
    errors: list[ValidationError] = []
    if account is None:
        return errors
    folded = fold(password)
    compact = re.sub(r"[\W_]+", "", folded)
    login = fold(getattr(account, "login", "") or "")
    if login and (login in folded or re.sub(r"[\W_]+", "", login) in compact):
        errors.append(
            ValidationError(
                _("Le mot de passe ne doit pas contenir votre identifiant."), code="identifier"
            )
        )
    core = _core(folded)
    for name in _names(account):
        # A long name anywhere is a tell; a short one ("Léa", "Li") only as the whole word.
        if (len(name) >= _NAME_MIN_LENGTH and (name in folded or name in compact)) or (
            name == core
        ):
            errors.append(
                ValidationError(
                    _("Le mot de passe ne doit contenir ni votre nom ni votre prénom."),
                    code="name",
                )
            )
            break
    birth_date = getattr(account, "birth_date", None)
    separators_removed = re.sub(r"[\W_]+", "", password)
    if any(
        form in password or form in separators_removed for form in _birth_date_forms(birth_date)
    ):
        errors.append(
            ValidationError(
                _("Le mot de passe ne doit pas contenir votre date de naissance."),
                code="birth_date",
            )
        )
    return errors


def password_validate(
    password: str,
    *,
    account: Any = None,
    previous_hashes: Iterable[str] = (),
    activation_code_digest: str = "",
    policy: Policy | None = None,
) -> list[ValidationError]:
    """Every reason ``password`` is refused, in the checklist's order; empty when accepted.

    ``previous_hashes`` are the account's last password hashes (its current one included):
    each costs one Argon2 verification, done only when everything cheaper has passed.
    """
    from preau.directory.activation_codes import activation_code_matches

    policy = policy or password_policy()
    errors = [
        ValidationError(rule.error, code=rule.code)
        for rule in policy.rules
        if not rule.check(password)
    ]
    errors.extend(personal_errors(password, account))
    if is_common(password):
        errors.append(
            ValidationError(
                _(
                    "Ce mot de passe est trop courant : c'est l'un des premiers que l'on essaie "
                    "pour entrer dans un compte. Choisissez-en un autre."
                ),
                code="common",
            )
        )
    if activation_code_digest and activation_code_matches(password, activation_code_digest):
        errors.append(
            ValidationError(
                _("Choisissez un mot de passe différent du code d'activation de votre courrier."),
                code="activation_code",
            )
        )
    if not errors:
        for encoded in dict.fromkeys(h for h in previous_hashes if h):
            if check_password(password, encoded):
                errors.append(
                    ValidationError(
                        _(
                            "Vous avez déjà utilisé ce mot de passe récemment : choisissez-en "
                            "un nouveau."
                        ),
                        code="reused",
                    )
                )
                break
    return errors


class PolicyPasswordValidator:
    """Préau's policy as a Django password validator (``AUTH_PASSWORD_VALIDATORS``)."""

    def validate(self, password: str, user: Any = None) -> None:
        errors = password_validate(password, account=user)
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return " ".join(rule.label for rule in password_policy().rules if rule.label)
