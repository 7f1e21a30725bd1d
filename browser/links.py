"""Which links may leave the app: the one check for the pane, the reader, `o`/`y` and exports.

Pure (no Textual): dump "links" are untrusted text. A dump may carry ``file:`` or
``javascript:`` links, escape sequences glued to a URL, or strings that look like a
URL but that ``urllib.parse.urlsplit`` refuses (``http://[github.com/x``: an unclosed
IPv6 bracket; ``http://h:99999``: a port out of range; control characters). None of
them may reach a terminal, a browser or an export as a link, and none may raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


def is_web_link(url: str) -> bool:
    """True for a plain http(s) URL with a host that ``urlsplit`` reads in full.

    Printable, without whitespace, scheme http or https, a host, and a port (if any)
    between 0 and 65535. Never raises.
    """
    if not url.isprintable() or any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def first_web_link(links: Iterable[str]) -> str:
    """The first of ``links`` that :func:`is_web_link` accepts, else ''."""
    return next((link for link in links if is_web_link(link)), "")
