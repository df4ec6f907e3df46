"""Messages are rendered in French, escaped where they are HTML, on one line where a header."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from preau.notify.channels import channel_get
from preau.notify.templatetags.notify_tags import duration_fr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(hours=1), "1 heure"),
        (timedelta(hours=24), "24 heures"),
        (timedelta(days=2), "2 jours"),
        (timedelta(days=7), "7 jours"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (600, "10 minutes"),
    ],
)
def test_validity_reads_as_people_say_it(value: timedelta | int, expected: str) -> None:
    assert duration_fr(value) == expected


def test_values_are_escaped_in_html_and_kept_as_typed_in_text() -> None:
    rendered = channel_get("email").render(
        "email_verification",
        {
            "url": "https://ent.example.fr/v/1",
            "valid_for": timedelta(hours=2),
            "first_name": "<b>O'Neil",
        },
    )
    assert "Bonjour <b>O'Neil," in rendered.body_text
    assert "&lt;b&gt;O&#x27;Neil" in rendered.body_html
    assert "<b>O'Neil" not in rendered.body_html


def test_subject_is_one_line_whatever_the_context() -> None:
    rendered = channel_get("email").render(
        "test_message", {"ent_name": "ENT\r\nBcc: victim@example.org"}
    )
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject


def test_unknown_channel_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="fax"):
        channel_get("fax")
