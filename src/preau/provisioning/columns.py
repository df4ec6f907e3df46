"""The columns of each kind of export file: their keys, French labels and header spellings.

A header is recognised once normalised (:func:`normalize_header`: no case, accents or
punctuation) among the spellings of a column, in order of preference. What is accepted is
documented in docs/import-formats.md; keep both in step.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "COLUMNS",
    "GUARDIANS",
    "KINDS",
    "STAFF",
    "STUDENTS",
    "Column",
    "map_headers",
    "normalize_header",
]

STUDENTS = "students"
GUARDIANS = "guardians"
STAFF = "staff"
KINDS = (STUDENTS, GUARDIANS, STAFF)


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # French, as shown in problems and in the documentation
    synonyms: tuple[str, ...]  # normalised header spellings, in order of preference
    required: bool = True
    # Columns that tell this kind of file from the others (used to name a wrong kind).
    distinctive: bool = False


@functools.lru_cache(maxsize=4096)
def normalize_header(value: str) -> str:
    """``"Prénom(s)"`` → ``"prenom s"``; ``"DATE DE NAISSANCE"`` → ``"date de naissance"``."""
    text = unicodedata.normalize("NFKD", value.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_LAST_NAME = (
    "nom d usage",
    "nom",
    "nom de famille",
    "nom usuel",
    "nom de naissance",
    "nom patronymique",
)
_FIRST_NAME = ("prenom", "prenom usuel", "prenom 1", "premier prenom", "prenoms", "prenom s")
_EMAIL = ("courriel", "email", "e mail", "mail", "adresse electronique", "adresse mail",
          "adresse e mail", "adresse courriel", "mel")  # fmt: skip

COLUMNS: dict[str, tuple[Column, ...]] = {
    STUDENTS: (
        Column(
            "school_id",
            "Numéro élève",
            (
                "numero eleve",
                "n eleve",
                "no eleve",
                "num eleve",
                "numero de l eleve",
                "identifiant eleve",
                "id eleve",
                "ele id",
                "eleve id",
                "numero interne",
                "numero",
                "identifiant",
                "id",
            ),
        ),  # fmt: skip
        Column(
            "ine",
            "INE",
            (
                "ine",
                "numero ine",
                "ine eleve",
                "identifiant national",
                "identifiant national eleve",
                "id national",
            ),
            required=False,
            distinctive=True,
        ),  # fmt: skip
        Column("last_name", "Nom", _LAST_NAME + ("nom eleve", "nom de l eleve")),
        Column("first_name", "Prénom", _FIRST_NAME + ("prenom eleve", "prenom de l eleve")),
        Column(
            "other_first_names",
            "Autres prénoms",
            ("autres prenoms", "autre prenom", "prenom 2", "deuxieme prenom", "second prenom"),
            required=False,
        ),
        Column(
            "birth_date",
            "Date de naissance",
            (
                "date de naissance",
                "date naissance",
                "naissance",
                "ne e le",
                "ne le",
                "date de naiss",
                "date naiss",
                "datenaissance",
                "date nais",
            ),
            distinctive=True,
        ),  # fmt: skip
        Column(
            "class",
            "Classe",
            (
                "classe",
                "division",
                "code classe",
                "classe division",
                "code division",
                "libelle classe",
                "groupe classe",
            ),
            distinctive=True,
        ),  # fmt: skip
    ),
    GUARDIANS: (
        Column(
            "school_id",
            "Numéro élève",
            (
                "numero eleve",
                "n eleve",
                "no eleve",
                "num eleve",
                "numero de l eleve",
                "identifiant eleve",
                "id eleve",
                "ele id",
                "eleve id",
                "eleve",
            ),
        ),  # fmt: skip
        Column(
            "guardian_id",
            "Identifiant responsable",
            (
                "identifiant responsable",
                "id responsable",
                "numero responsable",
                "n responsable",
                "no responsable",
                "pers id",
                "resp id",
                "responsable id",
            ),
            required=False,
            distinctive=True,
        ),  # fmt: skip
        Column("last_name", "Nom", _LAST_NAME + ("nom responsable", "nom du responsable")),
        Column(
            "first_name", "Prénom", _FIRST_NAME + ("prenom responsable", "prenom du responsable")
        ),
        Column(
            "relationship",
            "Lien de parenté",
            (
                "lien de parente",
                "lien",
                "parente",
                "lien avec l eleve",
                "lien de parente avec l eleve",
                "qualite",
                "relation",
                "lien familial",
            ),
            distinctive=True,
        ),  # fmt: skip
        Column(
            "legal_responsibility",
            "Responsabilité légale",
            (
                "responsabilite legale",
                "responsable legal",
                "resp legal",
                "niveau de responsabilite",
                "niveau responsabilite",
                "responsabilite",
                "legal",
            ),
            distinctive=True,
        ),  # fmt: skip
        Column("email", "Courriel", _EMAIL, required=False),
        Column(
            "mobile",
            "Téléphone mobile",
            (
                "telephone mobile",
                "mobile",
                "tel mobile",
                "portable",
                "telephone portable",
                "tel portable",
                "numero de mobile",
                "numero mobile",
                "telephone",
                "tel",
            ),
            required=False,
            distinctive=True,
        ),  # fmt: skip
        Column(
            "postal_code",
            "Code postal",
            ("code postal", "cp", "code postal responsable", "code postal du responsable"),
            required=False,
            distinctive=True,
        ),
    ),
    STAFF: (
        Column(
            "staff_id",
            "Identifiant",
            (
                "identifiant",
                "id",
                "identifiant personnel",
                "numero personnel",
                "numero",
                "matricule",
            ),
            required=False,
        ),
        Column("last_name", "Nom", _LAST_NAME),
        Column("first_name", "Prénom", _FIRST_NAME),
        Column(
            "profile",
            "Profil",
            ("profil", "categorie", "type", "type de personnel", "statut", "profil ent"),
            distinctive=True,
        ),
        Column(
            "function",
            "Fonction",
            ("fonction", "discipline", "poste", "fonction discipline", "matiere", "service"),
            required=False,
            distinctive=True,
        ),
        Column("email", "Courriel", _EMAIL, required=False),
        Column(
            "classes",
            "Classes enseignées",
            (
                "classes enseignees",
                "classes",
                "classe s",
                "divisions",
                "classes suivies",
                "divisions enseignees",
            ),
            required=False,
            distinctive=True,
        ),  # fmt: skip
    ),
}


def map_headers(kind: str, headers: list[str]) -> tuple[dict[str, int], list[Column]]:
    """Column index of each known field of ``kind``, and the required columns missing."""
    normalized = [normalize_header(h) for h in headers]
    found: dict[str, int] = {}
    missing: list[Column] = []
    for column in COLUMNS[kind]:
        for synonym in column.synonyms:
            if synonym in normalized:
                index = normalized.index(synonym)
                if index not in found.values():
                    found[column.key] = index
                    break
        else:
            if column.required:
                missing.append(column)
    return found, missing
