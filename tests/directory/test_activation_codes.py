from preau.directory.activation_codes import (
    ALPHABET,
    activation_code_digest,
    activation_code_display,
    activation_code_generate,
    activation_code_matches,
)


def test_codes_use_the_unambiguous_alphabet_only() -> None:
    for _ in range(200):
        code = activation_code_generate()
        assert len(code) == 8
        assert set(code) <= set(ALPHABET)
    assert not set("01OIL5S2Z8B") & set(ALPHABET)


def test_typed_code_matches_its_digest_as_people_type_it() -> None:
    code = activation_code_generate()
    digest = activation_code_digest(code)
    assert code not in digest
    assert activation_code_matches(code, digest)
    assert activation_code_matches(activation_code_display(code).lower(), digest)
    assert activation_code_matches(f" {code[:4]} {code[4:]} ", digest)
    assert not activation_code_matches(code[:-1], digest)
    assert not activation_code_matches("", digest)
    assert not activation_code_matches(code, "")
