"""A masked contact lets its owner recognise it and nobody else use it."""

from __future__ import annotations

from preau.notify.masks import mask_email, mask_mobile


def test_a_mobile_keeps_its_first_and_last_two_digits() -> None:
    assert mask_mobile("+33612345678") == "06 •• •• •• 78"
    # A foreign number is shown internationally, masked the same way.
    masked = mask_mobile("+32470123456")
    assert masked.startswith("+3") and masked.endswith("56") and "•" in masked


def test_an_address_keeps_its_first_letter_and_its_domain() -> None:
    assert mask_email("jeanne.martin@exemple.fr") == "j…@exemple.fr"
    assert mask_email("not an address") == "…"
