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


def _taken_in(existing: set[str]):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def is_taken(candidates: list[str]) -> set[str]:
        calls.append(len(candidates))
        return existing & set(candidates)

    return is_taken, calls


def test_collisions_are_numbered_from_two_in_file_order() -> None:
    is_taken, _calls = _taken_in({"jean.dupont"})
    assert logins_allocate(["jean.dupont", "jean.dupont", "lea.martin"], is_taken=is_taken) == [
        "jean.dupont2",
        "jean.dupont3",
        "lea.martin",
    ]


def test_a_crowded_base_is_resolved_in_a_few_bulk_lookups() -> None:
    existing = {"lea.martin"} | {f"lea.martin{n}" for n in range(2, 40)}
    is_taken, calls = _taken_in(existing)
    logins = logins_allocate(["lea.martin"] * 3 + ["jean.dupont"], is_taken=is_taken)
    assert logins == ["lea.martin40", "lea.martin41", "lea.martin42", "jean.dupont"]
    # numbers 1-2 for both bases, then 3-9 and 10-99 for lea.martin only
    assert len(calls) == 3


def test_a_base_that_ends_with_a_digit_does_not_steal_a_numbered_login() -> None:
    is_taken, _calls = _taken_in({"a.b"})
    logins = logins_allocate(["a.b", "a.b2", "a.b"], is_taken=is_taken)
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
    is_taken, _calls = _taken_in(existing)
    logins = logins_allocate(bases, is_taken=is_taken)
    assert len(logins) == len(bases)
    assert len(set(logins)) == len(logins)
    assert not set(logins) & existing
    for base, login in zip(bases, logins, strict=True):
        assert login.startswith(base)
        assert login[len(base) :] == "" or login[len(base) :].isdigit()
        assert len(login) <= 64
