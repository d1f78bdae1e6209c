from __future__ import annotations

import pytest

from infra.images.shellwords import ExpansionError, expand_word, split_words

ENV = {"A": "alpha", "EMPTY": "", "DIR": "src"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("plain/path", "plain/path"),
        ("$A", "alpha"),
        ("${A}/x", "alpha/x"),
        ("$A$A", "alphaalpha"),
        ("$MISSING/x", "/x"),
        ("${MISSING:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${A:+set}", "set"),
        ("${MISSING:+set}", ""),
        ("${MISSING:-${DIR}/x}", "src/x"),
        ("'$A'", "$A"),
        ('"$A b"', "alpha b"),
        ('"\\$A"', "$A"),
        ("\\$A", "$A"),
        ("a\\ b", "a b"),
        ("$", "$"),
        ("$1", ""),
    ],
)
def test_expansion(word: str, expected: str) -> None:
    assert expand_word(word, ENV) == expected


def test_other_escape_character() -> None:
    assert expand_word("a`$b", {}, escape="`") == "a$b"


def test_strict_refuses_unknown_variables() -> None:
    with pytest.raises(ExpansionError):
        expand_word("$MISSING", ENV, strict=True)
    with pytest.raises(ExpansionError):
        expand_word("${MISSING:-x}", ENV, strict=True)
    assert expand_word("$A", ENV, strict=True) == "alpha"
    with pytest.raises(ExpansionError):
        expand_word("$X", ENV, unknown={"X"})


UNSUPPORTED = ["${A#pre}", "${A/x/y}", "${A%suf}", "${", "'open", '"open', "${MISSING:?boom}"]


@pytest.mark.parametrize("word", UNSUPPORTED)
def test_unsupported_forms_raise(word: str) -> None:
    with pytest.raises(ExpansionError):
        expand_word(word, ENV)


def test_split_words_keeps_quotes_for_expansion() -> None:
    assert split_words('a=1 b="x y" c=\'z w\' d\\ e') == ["a=1", 'b="x y"', "c='z w'", "d\\ e"]
    assert [expand_word(w, {}) for w in split_words('b="x y"')] == ["b=x y"]
