"""User environment variables: names, repository patterns, matching, most-specific-wins, and the decider."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.aggregate import fold
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.users.env_vars import (
    MAX_VALUE_BYTES,
    MAX_VARIABLES,
    EnvVarDecider,
    EnvVarRemoved,
    EnvVarSet,
    EnvVarsState,
    RemoveEnvVar,
    SealedValue,
    SetEnvVar,
    check_env_var_name,
    check_env_var_value,
    names_line,
    resolve_for,
)
from domain.users.events import UserBlocked, UserCreated
from domain.users.repository_patterns import (
    RepositoryName,
    RepositoryPattern,
    Specificity,
    parse_repository_pattern,
    repository_name,
)

DECIDER = EnvVarDecider()
SEALED = SealedValue("c2VhbGVk", "0123456789abcdef")

segments = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,11}", fullmatch=True).filter(lambda s: s not in (".", ".."))
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: n not in ("HOME", "USER", "LOGNAME", "SHELL") and not n.startswith(("BERTH_", "_PYI_", "_MEIPASS")))


# -- names and values ------------------------------------------------------------------------------------------


@given(names)
def test_posix_names_are_accepted_as_they_are(name: str) -> None:
    assert check_env_var_name(name) == name


@given(st.text(min_size=1, max_size=20).filter(lambda n: re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) is None))
def test_anything_else_is_refused_by_field(name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_env_var_name(name)
    assert raised.value.field == "name"


@pytest.mark.parametrize(("name", "says"), [
    ("", "empty"), ("1PASSWORD", "starts with a digit"), ("API-KEY", "contains '-'"), ("A B", "contains ' '"),
    ("HOME", "set by Berth"), ("SHELL", "set by Berth"), ("BERTH_WORKSPACE_ID", "Berth's own"),
    ("_PYI_ARCHIVE", "supervisor"), ("X" * 257, "more than 256"),
])
def test_a_refused_name_says_why(name: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as raised:
        check_env_var_name(name)
    assert raised.value.field == "name"


def test_values_are_bounded_and_hold_no_nul() -> None:
    assert check_env_var_value("") == ""
    assert check_env_var_value("é" * (MAX_VALUE_BYTES // 2)) == "é" * (MAX_VALUE_BYTES // 2)
    for bad in ("a\0b", "x" * (MAX_VALUE_BYTES + 1), "é" * (MAX_VALUE_BYTES // 2 + 1)):
        with pytest.raises(InvalidInput) as raised:
            check_env_var_value(bad)
        assert raised.value.field == "value"


# -- patterns --------------------------------------------------------------------------------------------------

patterns = st.one_of(
    st.just("*/*"),
    segments.map(lambda owner: f"{owner}/*"),
    st.tuples(segments, st.lists(segments, min_size=1, max_size=3)).map(lambda t: "/".join([t[0], *t[1]])),
)


@given(patterns, st.sampled_from(["", " ", "\t"]))
def test_parsing_canonicalizes_to_lowercase_and_is_idempotent(text: str, blank: str) -> None:
    parsed = parse_repository_pattern(f"{blank}{text.upper()}{blank}")
    assert parsed.text == text.lower()
    assert parse_repository_pattern(parsed.text) == parsed


@given(st.text(max_size=30))
def test_any_text_parses_or_is_refused_by_field(text: str) -> None:
    refused: InvalidInput | None = None
    try:
        parsed = parse_repository_pattern(text)
    except InvalidInput as error:
        refused = error
    if refused is not None:
        assert refused.field == "repository_pattern"
    else:
        assert parse_repository_pattern(parsed.text) == parsed


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"), ("acme", "no '/'"), ("*/widgets", "must be '\\*' too"), ("*", "no '/'"),
    ("ac*e/*", "not inside a name"), ("acme/wid*", "not inside a name"), ("acme//x", "empty repository"),
    ("/x", "empty owner"), ("acme/w@x", "only letters"), ("acme/..", "only letters"), ("a/" + "b" * 300, "255"),
    ("*/*/*", "must be '\\*' too"), ("acme/*/x", "not inside a name"),
])
def test_a_refused_pattern_says_why(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as raised:
        parse_repository_pattern(text)
    assert raised.value.field == "repository_pattern"


def test_specificity_orders_the_three_forms() -> None:
    assert [parse_repository_pattern(p).specificity for p in ("*/*", "acme/*", "acme/widgets")] == [
        Specificity.EVERY_REPOSITORY, Specificity.OWNER, Specificity.REPOSITORY]


@pytest.mark.parametrize(("url", "name"), [
    ("https://github.com/Acme/Widgets.git", "acme/widgets"),
    ("https://gitlab.com/group/sub/repo.git", "group/sub/repo"),
    ("git://127.0.0.1:9418/e2e/r-1.git", "e2e/r-1"),
    ("git@github.com:acme/widgets.git", "acme/widgets"),
    ("file:///srv/git/acme/widgets.git", "srv/git/acme/widgets"),
    ("git://host/lonely.git", "lonely"),
    ("not a url", ""),
])
def test_a_workspace_repository_is_its_clone_url_path(url: str, name: str) -> None:
    assert str(repository_name(url)) == name


def test_matching_by_form() -> None:
    widgets = repository_name("https://github.com/acme/widgets.git")
    nested = repository_name("https://gitlab.com/acme/sub/widgets.git")
    lonely = repository_name("git://host/lonely.git")
    match = {p: [parse_repository_pattern(p).matches(r) for r in (widgets, nested, lonely)]
             for p in ("*/*", "acme/*", "acme/widgets", "acme/sub/widgets", "other/*", "acme/gadgets")}
    assert match == {
        "*/*": [True, True, True],
        "acme/*": [True, True, False],  # a group's subgroups belong to it
        "acme/widgets": [True, False, False],
        "acme/sub/widgets": [False, True, False],
        "other/*": [False, False, False],
        "acme/gadgets": [False, False, False],
    }


# -- most specific wins ----------------------------------------------------------------------------------------

repositories = st.tuples(segments, st.lists(segments, min_size=1, max_size=2)).map(
    lambda t: RepositoryName(tuple(s.lower() for s in (t[0], *t[1]))))


@st.composite
def variables_for(draw: st.DrawFn, repository: RepositoryName) -> dict[tuple[str, str], str]:
    """Variables of a few names, with patterns that match the repository in each way and some that do not."""
    owner, rest = repository.segments[0], "/".join(repository.segments[1:])
    candidates = ["*/*", f"{owner}/*", f"{owner}/{rest}", f"{owner}x/*", f"{owner}/{rest}x", f"x{owner}/{rest}"]
    variables: dict[tuple[str, str], str] = {}
    for name in draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True)):
        for pattern in draw(st.lists(st.sampled_from(candidates), max_size=6, unique=True)):
            variables[(name, parse_repository_pattern(pattern).text)] = f"{name}@{pattern}"
    return variables


@given(st.data(), repositories)
def test_the_most_specific_matching_pattern_wins_whatever_the_order(data: st.DataObject,
                                                                    repository: RepositoryName) -> None:
    variables = data.draw(variables_for(repository))
    resolved = resolve_for(variables, repository)
    for name in {n for n, _ in variables}:
        matching = [(parse_repository_pattern(p), v) for (n, p), v in variables.items()
                    if n == name and parse_repository_pattern(p).matches(repository)]
        if not matching:
            assert name not in resolved
            continue
        best_pattern, best_value = max(matching, key=lambda m: m[0].specificity)
        assert resolved[name] == (best_pattern.text, best_value)
        assert all(p.specificity < best_pattern.specificity for p, v in matching if v != best_value)
    shuffled = list(variables.items())
    random.Random(len(shuffled)).shuffle(shuffled)
    assert resolve_for(dict(shuffled), repository) == resolved


def test_the_example_of_the_docs() -> None:
    variables = {("API_KEY", "*/*"): "everywhere", ("API_KEY", "acme/widgets"): "widgets",
                 ("API_KEY", "acme/*"): "acme", ("DB_URL", "other/*"): "elsewhere"}
    assert resolve_for(variables, repository_name("https://github.com/acme/widgets.git")) == {
        "API_KEY": ("acme/widgets", "widgets")}
    assert resolve_for(variables, repository_name("https://github.com/acme/gadgets.git")) == {
        "API_KEY": ("acme/*", "acme")}
    assert resolve_for(variables, repository_name("https://github.com/other/x.git")) == {
        "API_KEY": ("*/*", "everywhere"), "DB_URL": ("other/*", "elsewhere")}


def test_the_names_line_shows_names_only() -> None:
    assert names_line({"DB_URL": "secret", "API_KEY": "secret"}) == "2 user variables (API_KEY, DB_URL)"
    assert names_line(["X"]) == "1 user variable (X)"
    assert names_line([]) == "no user variables"


# -- the decider -----------------------------------------------------------------------------------------------


def alice(*events: DomainEvent) -> EnvVarsState:
    return fold(DECIDER, [UserCreated(username="alice", role="user"), *events]).state


def test_setting_records_the_sealed_value_and_setting_again_replaces_it() -> None:
    [event] = DECIDER.decide(alice(), SetEnvVar("API_KEY", "acme/*", SEALED))
    assert event == EnvVarSet(name="API_KEY", repository_pattern="acme/*", encrypted_value=SEALED.encrypted_value,
                              key_id=SEALED.key_id)
    other = SealedValue("b3RoZXI=", SEALED.key_id)
    state = alice(event, EnvVarSet(name="API_KEY", repository_pattern="acme/*", encrypted_value="b3RoZXI=",
                                   key_id=SEALED.key_id))
    assert state.variables == {("API_KEY", "acme/*"): other}


def test_one_name_may_have_several_patterns_and_each_is_removed_on_its_own() -> None:
    state = alice(*(DECIDER.decide(alice(), SetEnvVar("K", p, SEALED))[0] for p in ("*/*", "acme/*")))
    assert set(state.variables) == {("K", "*/*"), ("K", "acme/*")}
    assert DECIDER.decide(state, RemoveEnvVar("K", "ACME/*")) == [EnvVarRemoved(name="K", repository_pattern="acme/*")]
    removed = DECIDER.evolve(state, EnvVarRemoved(name="K", repository_pattern="acme/*"))
    assert set(removed.variables) == {("K", "*/*")}
    with pytest.raises(NotFound, match="no environment variable K for acme/widgets"):
        DECIDER.decide(removed, RemoveEnvVar("K", "acme/widgets"))


def test_a_value_sealed_for_a_pattern_must_name_it_canonically() -> None:
    with pytest.raises(InvalidInput) as raised:
        DECIDER.decide(alice(), SetEnvVar("K", "Acme/*", SEALED))
    assert raised.value.field == "repository_pattern"


def test_bad_input_is_refused_by_field() -> None:
    for command, field in ((SetEnvVar("HOME", "*/*", SEALED), "name"), (SetEnvVar("K", "*/x", SEALED),
                                                                         "repository_pattern"),
                           (RemoveEnvVar("1X", "*/*"), "name")):
        with pytest.raises(InvalidInput) as raised:
            DECIDER.decide(alice(), command)
        assert raised.value.field == field


def test_a_user_has_at_most_so_many_variables_but_may_replace_one() -> None:
    full = alice(*(EnvVarSet(name=f"V{i}", repository_pattern="*/*", encrypted_value="x", key_id="k")
                   for i in range(MAX_VARIABLES)))
    with pytest.raises(InvalidInput, match=f"at most {MAX_VARIABLES}"):
        DECIDER.decide(full, SetEnvVar("ONE_MORE", "*/*", SEALED))
    assert DECIDER.decide(full, SetEnvVar("V7", "*/*", SEALED))


def test_no_user_or_a_blocked_one() -> None:
    with pytest.raises(NotFound):
        DECIDER.decide(DECIDER.initial_state(), SetEnvVar("K", "*/*", SEALED))
    with pytest.raises(Conflict):
        DECIDER.decide(alice(UserBlocked()), SetEnvVar("K", "*/*", SEALED))
    blocked = alice(EnvVarSet(name="K", repository_pattern="*/*", encrypted_value="x", key_id="k"), UserBlocked())
    assert DECIDER.decide(blocked, RemoveEnvVar("K", "*/*"))  # cleaning up stays possible


def test_the_pattern_type_is_plain_data() -> None:
    assert RepositoryPattern("acme", None).text == "acme/*" and str(RepositoryPattern(None, None)) == "*/*"
