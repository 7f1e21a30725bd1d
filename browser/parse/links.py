"""URLs in an abstract: schemes, the characters that end one, and trailing punctuation."""

from __future__ import annotations

import re

__all__ = ["extract_links"]


# Braces end a URL: ``\url{https://x}`` and ``https://x{text}`` (a flattened \href).
# A URL also ends at a control or bidi character: they must not reach CSV or JSON.
_URL_BODY = re.compile(
    r"[^\s<>\"{}\\^`|\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+"
)
_URL_SCHEMES = ("https", "http", "ftp")
_URL_TRAILING = frozenset(".,;:!?'\"*…。，；：！？、")
_URL_CLOSERS = {")": "(", "]": "[", "）": "（", "】": "【"}
_URL_HOST_CHAR = re.compile(r"[^/?#]*\w")


def _trim_url(url: str) -> str:
    """``url`` without trailing punctuation, or a closing bracket it does not open."""
    end = len(url)
    balance: dict[str, int] = {}  # closers minus openers in url[:end], per closer seen
    while end:
        last = url[end - 1]
        opener = _URL_CLOSERS.get(last)
        if opener is not None:
            if last not in balance:
                balance[last] = url.count(last, 0, end) - url.count(opener, 0, end)
            if balance[last] <= 0:
                break
            balance[last] -= 1
        elif last not in _URL_TRAILING:
            break
        end -= 1
    return url[:end]


def extract_links(text: str) -> list[str]:
    """URLs (http, https, ftp) in ``text``, in order, without duplicates or trailing punctuation."""
    links: dict[str, None] = {}
    find = text.find
    at = find("://")
    while at >= 0:
        # Looking for "://" first and the scheme second is several times faster
        # than a regex scanning every position of a long abstract.
        before = text[max(0, at - 5) : at].lower()
        body = _URL_BODY.match(text, at + 3)
        if body is None:
            at = find("://", at + 3)
            continue
        for scheme in _URL_SCHEMES:
            if before.endswith(scheme):
                url = _trim_url(text[at - len(scheme) : body.end()])
                if _URL_HOST_CHAR.match(url, len(scheme) + 3):
                    links.setdefault(url, None)
                break
        at = find("://", body.end())
    return list(links)
