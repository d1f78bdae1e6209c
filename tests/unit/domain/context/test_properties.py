"""Properties of parsing and rendering context URLs, over generated input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.context import ContextUrl, parse_context_url, render_context_url
from domain.errors import InvalidInput
from tests.unit.domain.context.strategies import context_urls, url_shaped_text


@given(context_urls())
def test_rendering_and_parsing_again_gives_the_same_model(url: ContextUrl) -> None:
    assert parse_context_url(render_context_url(url)) == url


@given(st.text() | url_shaped_text)
def test_parsing_fails_only_with_invalid_input(text: str) -> None:
    failure: InvalidInput | None = None
    try:
        url = parse_context_url(text)
    except InvalidInput as error:
        failure = error
    if failure is not None:
        assert failure.field == "context_url" and str(failure)
    else:
        # Whatever parses, renders to a URL that parses to the same thing.
        assert parse_context_url(render_context_url(url)) == url


@given(context_urls())
def test_rendering_is_stable(url: ContextUrl) -> None:
    rendered = render_context_url(url)
    assert render_context_url(parse_context_url(rendered)) == rendered
    assert parse_context_url(f"  {rendered}\n") == url
