from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from infra.images.build_inputs import find_build_inputs
from infra.images.dockerfile import parse_dockerfile


def test_keywords_flags_and_words() -> None:
    parsed = parse_dockerfile(
        "from berth/base:latest AS build\n"
        "copy --chown=berth:berth --chmod=755 --link src/ /app/\n"
        "COPY --from=build /out /bin/\n"
    )
    keywords = [i.keyword for i in parsed.instructions]
    assert keywords == ["FROM", "COPY", "COPY"]
    first_copy = parsed.instructions[1]
    assert first_copy.flags == (("chown", "berth:berth"), ("chmod", "755"), ("link", None))
    assert first_copy.flag("link") == ""
    assert first_copy.flag("from") is None
    assert first_copy.args == ("src/", "/app/")
    assert parsed.instructions[2].flag("from") == "build"
    assert parsed.instructions[0].args == ("berth/base:latest", "AS", "build")


def test_continuations_drop_comment_and_blank_lines() -> None:
    parsed = parse_dockerfile(
        "FROM x\n"
        "COPY a \\\n"
        "  # a comment inside the continuation\n"
        "\n"
        "     b \\\n"
        "  /dest/\n"
        "RUN echo done\n"
    )
    copy = parsed.instructions[1]
    assert copy.args == ("a", "b", "/dest/")
    assert copy.line == 2
    assert parsed.instructions[2].line == 7


def test_comments_and_leading_whitespace() -> None:
    parsed = parse_dockerfile("# hello\n   # indented comment\n\n  FROM x\n  RUN true # not a comment\n")
    assert [i.keyword for i in parsed.instructions] == ["FROM", "RUN"]
    assert parsed.instructions[1].args == ("true # not a comment",)


def test_escape_directive_changes_the_continuation_character() -> None:
    parsed = parse_dockerfile("# escape=`\nFROM x\nCOPY a `\n  b c:\\dest\n")
    assert parsed.escape == "`"
    assert parsed.instructions[1].args == ("a", "b", "c:\\dest")


def test_directives_only_at_the_top() -> None:
    parsed = parse_dockerfile("FROM x\n# escape=`\nCOPY a \\\n b /c\n")
    assert parsed.escape == "\\"
    assert parsed.instructions[1].args == ("a", "b", "/c")


def test_json_form() -> None:
    parsed = parse_dockerfile('FROM x\nCOPY ["a b.txt", "c", "/dest/"]\nRUN ["echo", "hi"]\nCMD echo hi\n')
    copy, run, cmd = parsed.instructions[1:]
    assert copy.json_form
    assert copy.args == ("a b.txt", "c", "/dest/")
    assert run.json_form
    assert run.args == ("echo", "hi")
    assert not cmd.json_form
    assert cmd.args == ("echo hi",)


def test_invalid_json_falls_back_to_words() -> None:
    parsed = parse_dockerfile('FROM x\nCOPY ["a", /b\n')
    assert not parsed.instructions[1].json_form
    assert parsed.instructions[1].args == ('["a",', "/b")


def test_heredocs_are_consumed() -> None:
    parsed = parse_dockerfile(
        "FROM x\n"
        "COPY <<EOF /etc/motd\n"
        "COPY this is not an instruction\n"
        "EOF\n"
        "RUN <<-'SCRIPT'\n"
        "\techo hi\n"
        "\tSCRIPT\n"
        "USER berth\n"
    )
    keywords = [i.keyword for i in parsed.instructions]
    assert keywords == ["FROM", "COPY", "RUN", "USER"]
    assert parsed.instructions[1].heredocs[0].name == "EOF"
    assert parsed.instructions[1].heredocs[0].content == "COPY this is not an instruction\n"
    assert parsed.instructions[2].heredocs[0].content == "echo hi\n"


def test_quoted_flag_values() -> None:
    parsed = parse_dockerfile('FROM x\nRUN --mount="type=bind,source=a b,target=/x" make\n')
    assert parsed.instructions[1].flag_values("mount") == ["type=bind,source=a b,target=/x"]
    assert parsed.instructions[1].args == ("make",)


def test_crlf_and_bom() -> None:
    parsed = parse_dockerfile("\ufeffFROM x\r\nCOPY a \\\r\n b /c\r\n")
    assert parsed.instructions[1].args == ("a", "b", "/c")


DOCKERFILE_CHARS = "FROMCOPYADDRUNARGENV abc$/{}[]\"'\\`#=-:<>*?!.\n\t"


def _resolve(name: str) -> str:
    return "sha256:" + "0" * 64


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(DOCKERFILE_CHARS)), max_size=300))
def test_parser_and_analysis_never_crash(text: str) -> None:
    parsed = parse_dockerfile(text)
    for instruction in parsed.instructions:
        assert instruction.keyword == instruction.keyword.upper()
    # e.g. no FROM: a clear, typed refusal is fine; anything else is a bug
    with contextlib.suppress(InvalidInput):
        find_build_inputs(parsed, resolve=_resolve)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parser_never_crashes_on_any_text(text: str) -> None:
    parse_dockerfile(text)
