"""What an import reports: counts, problems, and each person's change for the preview.

:class:`ImportReport` is what :func:`preau.provisioning.imports.import_run` returns (to
``preau import`` and the console's upload and review pages); the changes that touch who an
account says its owner is, or that number a homonym's identifier, are flagged apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from preau.provisioning.readers import ImportProblem

__all__ = [
    "FIELD_LABELS",
    "FLAGGED_LIMIT",
    "PREVIEW_LIMIT",
    "IdentityChange",
    "ImportChange",
    "ImportReport",
]

PREVIEW_LIMIT = 200
FLAGGED_LIMIT = 1000

FIELD_LABELS = {
    "last_name": "nom",
    "first_name": "prénom",
    "other_first_names": "autres prénoms",
    "birth_date": "date de naissance",
    "ine": "INE",
    "email": "courriel",
    "mobile": "mobile",
    "postal_code": "code postal",
    "function": "fonction",
    "school_year": "année scolaire",
    "end_date": "retour dans l'établissement",
    "source_id": "identifiant source",
    "classes": "classes",
    "guardianship": "élèves",
    "membership": "rattachement",
}


@dataclass(frozen=True)
class IdentityChange:
    """A change of who an existing account says its owner is (names, birth date, INE): the
    field's French label, the value before and after, as shown."""

    field: str
    old: str
    new: str


@dataclass
class ImportChange:
    """One person's change, for the preview (French ``detail``).

    Two kinds are risky and flagged apart, for the administrator to check before confirming:
    ``identity`` lists the changes of an existing account's identity (a file that names
    someone else with that pupil number or INE would hand the account to another person), and
    ``homonym`` explains why a new account's identifier got a number (someone with the same
    names already exists: the file may describe that person with another e-mail, and create a
    second account for them)."""

    action: str  # "create" | "update" | "end"
    login: str
    name: str
    detail: str
    identity: list[IdentityChange] = field(default_factory=list)
    homonym: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.identity or self.homonym)


@dataclass
class ImportReport:
    kind: str
    filename: str
    dry_run: bool
    written: bool
    created: int = 0
    updated: int = 0
    ended: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    changes: list[ImportChange] = field(default_factory=list)  # at most PREVIEW_LIMIT
    # Existing accounts whose identity changes, new accounts numbered for a homonym (counts),
    # and those changes (at most FLAGGED_LIMIT), also among ``changes``.
    identity_changes: int = 0
    homonyms: int = 0
    flagged: list[ImportChange] = field(default_factory=list)
    # True when problems made the import refuse to write anything.
    refused: bool = False

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.ended
