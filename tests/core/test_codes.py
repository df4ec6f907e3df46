"""preau.codes: the six-digit codes sent to a contact (recovery's SMS codes, the mobile proof)."""

from __future__ import annotations

from django.utils.crypto import salted_hmac

from preau.codes import code_digest, code_new, code_normalize


def test_codes_are_six_random_digits() -> None:
    codes = {code_new() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_a_code_is_read_as_people_type_it() -> None:
    assert code_normalize("123 456") == code_normalize("123-456") == "123456"
    assert code_normalize("１２３４５６") == "123456"
    assert code_digest("s", "123 456") == code_digest("s", "123456")


def test_digests_are_keyed_and_bound_to_their_salt() -> None:
    assert code_digest("salt-1", "123456") != code_digest("salt-2", "123456")
    assert len(code_digest("s", "123456")) == 64


def test_a_code_sent_before_the_codes_left_recovery_still_matches() -> None:
    # The key's salt is recovery's, where the codes were born: a digest stored by a deployment
    # of before the move is the digest computed now.
    legacy = salted_hmac("preau.recovery.code", "s:123456", algorithm="sha256").hexdigest()
    assert code_digest("s", "123456") == legacy
