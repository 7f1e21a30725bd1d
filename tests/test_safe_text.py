"""Untrusted dump text becomes visible, inert characters, one for one."""

from __future__ import annotations

import pytest

from browser.safe_text import HIDDEN_MARK, safe_line, safe_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain title", "plain title"),
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),
        ("osc \x1b]8;;http://x\x07link", "osc ␛]8;;http://x␇link"),
        ("nul\x00del\x7f", "nul␀del␡"),
        ("c1 \x9b31m", f"c1 {HIDDEN_MARK}31m"),
        ("bidi \u202egnp.exe\u202c", f"bidi {HIDDEN_MARK}gnp.exe{HIDDEN_MARK}"),
        ("iso\u2066late\u2069", f"iso{HIDDEN_MARK}late{HIDDEN_MARK}"),
        ("zero\u200bwidth\ufeff", f"zero{HIDDEN_MARK}width{HIDDEN_MARK}"),
        ("[bold]x[/] [@click=app.quit]$x$", "[bold]x[/] [@click=app.quit]$x$"),
    ],
)
def test_safe_text_makes_controls_visible(raw: str, expected: str) -> None:
    assert safe_text(raw) == expected


def test_safe_text_keeps_line_structure_and_length() -> None:
    raw = "line one\n\tline two\u2028three\r"
    shown = safe_text(raw)
    assert shown == "line one\n\tline two\nthree "
    assert len(shown) == len(raw)


def test_safe_line_flattens_line_breaks() -> None:
    raw = "a\nb\tc\u2029d\x1b"
    assert safe_line(raw) == "a b c d␛"
    assert len(safe_line(raw)) == len(raw)


def test_every_code_point_below_0x3000_keeps_length() -> None:
    raw = "".join(chr(code) for code in range(0x3000) if not 0xD800 <= code < 0xE000)
    assert len(safe_text(raw)) == len(raw)
    assert "\x1b" not in safe_line(raw)
