"""The one link check: what may leave the app as a link, and that it never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser.links import first_web_link, is_web_link

# Strings urlsplit refuses with ValueError, or that it reads without a usable host.
MALFORMED = [
    "http://[github.com/x",  # unclosed IPv6 bracket
    "https://github.com]/x",  # a closing bracket alone
    "http://[::1/x",
    "http://example.com:99999/",  # port out of range
    "http://example.com:http/",  # port not a number
    "https://example.com:-1/",
    "http://:80/",  # a port and no host
    "http:///path",
    "http:example.com",
    "https://example.com/\x00x",
    "https://exa\u202emple.com/",
    "https://example.com/\x85",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_not_links_and_do_not_raise(url: str) -> None:
    assert is_web_link(url) is False


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:8080/x",
        "https://example.com:443/a?b=[1]",
        "HTTP://Example.COM",
        "https://huggingface.co/papers/2401.00001",
    ],
)
def test_well_formed_web_urls_are_links(url: str) -> None:
    assert is_web_link(url) is True


def test_the_first_good_link_wins_and_bad_ones_are_skipped() -> None:
    links = ["http://[github.com/x", "javascript:alert(1)", "https://ok.example/a", "https://b.c"]
    assert first_web_link(links) == "https://ok.example/a"
    assert first_web_link(MALFORMED) == ""


@given(st.text(max_size=40).map(lambda tail: "http://" + tail))
def test_no_string_makes_the_check_raise(url: str) -> None:
    is_web_link(url)
    first_web_link([url])
