"""Identifier generation: ``prenom.nom`` in lower-case ASCII, stable, numbered on collision."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preau.provisioning.logins import (
    EMPTY_BASE,
    FIRST_NAME_MAX,
    LAST_NAME_MAX,
    login_base,
    logins_allocate,
)

LOGIN_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)?[0-9]*$")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Jean", "Dupont", "jean.dupont"),
        ("Jean-Marc", "D'Artagnan Le Goff", "jean-marc.dartagnan-le-goff"),
        ("Jean Marc", "d’Artagnan  le-Goff", "jean-marc.dartagnan-le-goff"),
        ("Héloïse", "de La Fontaine", "heloise.de-la-fontaine"),
        ("Aïssatou", "N'DIAYE", "aissatou.ndiaye"),
        ("Łukasz", "Łukasiewicz", "lukasz.lukasiewicz"),
        ("Thị Mai", "Nguyễn", "thi-mai.nguyen"),
        ("Øyvind", "Øvergaard", "oyvind.overgaard"),
        ("Cœur", "Strauß", "coeur.strauss"),
        ("Ayşe", "Yılmaz", "ayse.yilmaz"),
        ("  Anne--Sophie ", " MARTIN-DUBOIS ", "anne-sophie.martin-dubois"),
    ],
)
def test_login_base_folds_accents_and_handles_compound_names_the_same_way(
    first: str, last: str, expected: str
) -> None:
    assert login_base(first, last) == expected


def test_a_part_that_folds_to_nothing_leaves_the_other_alone_and_both_give_a_fallback() -> None:
    assert login_base("李", "Dupont") == "dupont"
    assert login_base("Jean", "王") == "jean"
    assert login_base("李", "王") == EMPTY_BASE
    assert login_base("", "") == EMPTY_BASE
    assert login_base("'", "-") == EMPTY_BASE


def test_long_names_are_capped_and_cut_at_a_hyphen() -> None:
    login = login_base("Marie-Charlotte-Alexandrine", "de Saint-Exupéry-Montmorency-Laval-Bourbon")
    first, last = login.split(".")
    assert len(first) <= FIRST_NAME_MAX and len(last) <= LAST_NAME_MAX
    assert first == "marie-charlotte"
    assert not last.endswith("-")
    assert last == "de-saint-exupery-montmorency"


class FakeDirectory:
    """Existing logins, and a count of the bulk lookups made."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.calls = 0

    def is_taken(self, candidates: list[str]) -> set[str]:
        self.calls += 1
        return self.existing & set(candidates)

    def with_prefix(self, bases: list[str]) -> set[str]:
        self.calls += 1
        return {login for login in self.existing if login.startswith(tuple(bases))}

    def allocate(self, bases: list[str]) -> list[str]:
        return logins_allocate(bases, is_taken=self.is_taken, with_prefix=self.with_prefix)


def test_collisions_are_numbered_from_two_in_file_order() -> None:
    directory = FakeDirectory({"jean.dupont"})
    assert directory.allocate(["jean.dupont", "jean.dupont", "lea.martin"]) == [
        "jean.dupont2",
        "jean.dupont3",
        "lea.martin",
    ]


def test_a_crowded_base_is_resolved_in_two_bulk_lookups() -> None:
    existing = {"lea.martin", "lea.martin-dubois"} | {f"lea.martin{n}" for n in range(2, 140)}
    directory = FakeDirectory(existing)
    logins = directory.allocate(["lea.martin"] * 3 + ["jean.dupont"])
    assert logins == ["lea.martin140", "lea.martin141", "lea.martin142", "jean.dupont"]
    assert directory.calls == 2


def test_a_free_base_wanted_twice_still_skips_numbered_logins_that_exist() -> None:
    directory = FakeDirectory({"emma.petit2"})
    assert directory.allocate(["emma.petit", "emma.petit"]) == ["emma.petit", "emma.petit3"]


def test_a_base_that_ends_with_a_digit_does_not_steal_a_numbered_login() -> None:
    logins = FakeDirectory({"a.b"}).allocate(["a.b", "a.b2", "a.b"])
    assert len(set(logins)) == 3
    assert "a.b" not in logins


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@given(first=names, last=names)
@settings(max_examples=300, deadline=None)
def test_login_base_is_always_short_lower_case_ascii_and_stable(first: str, last: str) -> None:
    login = login_base(first, last)
    assert login.isascii()
    assert LOGIN_RE.match(login), login
    assert len(login) <= FIRST_NAME_MAX + 1 + LAST_NAME_MAX
    assert login_base(first, last) == login


@given(
    people=st.lists(
        st.tuples(st.sampled_from(["Jean", "Léa", "Jean-Marc", "Łukasz", "李"]), names),
        max_size=40,
    ),
    existing=st.sets(st.sampled_from(["jean.dupont", "jean.dupont2", "lea", "compte", "jean"])),
)
@settings(max_examples=200, deadline=None)
def test_allocated_logins_are_unique_and_never_reuse_an_existing_one(
    people: list[tuple[str, str]], existing: set[str]
) -> None:
    bases = [login_base(first, last) for first, last in people]
    logins = FakeDirectory(set(existing)).allocate(bases)
    assert len(logins) == len(bases)
    assert len(set(logins)) == len(logins)
    assert not set(logins) & existing
    for base, login in zip(bases, logins, strict=True):
        assert login.startswith(base)
        assert login[len(base) :] == "" or login[len(base) :].isdigit()
        assert len(login) <= 64
