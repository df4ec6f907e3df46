"""Accounts in each state and a spy counting Argon2 computations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import argon2
import argon2._password_hasher
import pytest
from django.test import Client
from django.utils import timezone

from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account

PASSWORD = "Correct-Horse-Battery-9"
CODE = "K7MQ4XHA"
LOGIN_URL = "/connexion"


@pytest.fixture
def active_account(db: Any) -> Account:
    return Account.objects.create_user(
        "claire.martin",
        password=PASSWORD,
        last_name="Martin",
        first_name="Claire",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )


@pytest.fixture
def pending_account(db: Any) -> Account:
    return Account.objects.create_user(
        "lea.bernard",
        last_name="Bernard",
        first_name="Léa",
        activation_code_digest=activation_code_digest(CODE),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
    )


@pytest.fixture
def deactivated_account(db: Any) -> Account:
    return Account.objects.create_user(
        "paul.durand",
        password=PASSWORD,
        last_name="Durand",
        first_name="Paul",
        state=Account.State.DEACTIVATED,
        deactivated_at=timezone.now(),
    )


@dataclass
class Argon2Spy:
    hashes: int = 0
    verifies: int = 0

    @property
    def total(self) -> int:
        return self.hashes + self.verifies


@pytest.fixture
def argon2_spy() -> Iterator[Argon2Spy]:
    """Counts Argon2 computations: Django hashes through low_level.hash_secret and verifies
    through PasswordHasher.verify (which calls verify_secret)."""
    spy = Argon2Spy()
    real_hash = argon2.low_level.hash_secret
    real_verify = argon2._password_hasher.verify_secret

    def counting_hash(*args: Any, **kwargs: Any) -> bytes:
        spy.hashes += 1
        return real_hash(*args, **kwargs)

    def counting_verify(*args: Any, **kwargs: Any) -> bool:
        spy.verifies += 1
        return real_verify(*args, **kwargs)

    with (
        mock.patch.object(argon2.low_level, "hash_secret", counting_hash),
        mock.patch.object(argon2._password_hasher, "verify_secret", counting_verify),
    ):
        yield spy


def sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    """POST the sign-in form the way a browser does (token taken from the page)."""
    page = client.get(LOGIN_URL, **extra)
    form = parse_form(page.content.decode())
    data = {name: value for name, value in form.inputs_by_name().items()}
    data.update({"username": username, "password": password})
    return client.post(LOGIN_URL, data, **extra)


@dataclass
class ParsedForm:
    attrs: dict[str, str] = field(default_factory=dict)
    inputs: list[dict[str, str]] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)

    def inputs_by_name(self) -> dict[str, str]:
        return {i["name"]: i.get("value", "") for i in self.inputs if "name" in i}

    def input(self, name: str) -> dict[str, str]:
        return next(i for i in self.inputs if i.get("name") == name)


_VOID = {"input", "meta", "link", "br", "img", "hr", "source", "wbr"}


class _PageParser(HTMLParser):
    """Forms, their inputs and buttons, label texts by ``for``, element texts by ``id``."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[ParsedForm] = []
        self.labels: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self._in_form = False
        self._stack: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            self.forms.append(ParsedForm(attrs=attrs))
            self._in_form = True
        elif tag == "input" and self._in_form:
            self.forms[-1].inputs.append(attrs)
        elif tag == "button" and self._in_form:
            self.forms[-1].buttons.append(attrs)
        if tag in _VOID:
            if "id" in attrs:
                self.ids[attrs["id"]] = ""
            return
        self._stack.append((tag, attrs.get("id"), []))
        if tag == "label" and attrs.get("for"):
            self._stack[-1] = (tag, "label:" + attrs["for"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        while self._stack:
            open_tag, element_id, text = self._stack.pop()
            if element_id is not None:
                value = re.sub(r"[ \t\r\n\f]+", " ", "".join(text)).strip()
                if element_id.startswith("label:"):
                    self.labels[element_id.removeprefix("label:")] = value
                else:
                    self.ids[element_id] = value
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id, text in self._stack:
            if element_id is not None:
                text.append(data)


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def parse_form(html: str) -> ParsedForm:
    forms = [f for f in parse_page(html).forms if f.attrs.get("id") == "fm1"]
    assert len(forms) == 1, "the page must hold exactly one form#fm1"
    return forms[0]


def masked(html: str, username: str) -> str:
    """The page with what legitimately differs between two answers masked: token, typed name."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "TOKEN", html)
    return html.replace(f'value="{username}"', 'value="TYPED"')
