"""Inline LaTeX shown as Unicode: what converts, what must stay exactly as written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser.readable_math import readable_math


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (r"$\pi$-Flow: One-Step Generation", "π-Flow: One-Step Generation"),
        (r"Tighter bounds for $\alpha$-divergence", "Tighter bounds for α-divergence"),
        (r"\texttt{SAILOR} agents", "SAILOR agents"),
        (r"$\texttt{SAILOR}$ agents", "SAILOR agents"),
        (r"top-$k$ routing", "top-k routing"),
        (r"$x^2$ and $x_i$", "x² and xᵢ"),
        (r"a rate of $10^{-3}$", "a rate of 10⁻³"),
        (r"$x_{ij}^{2}$", "xᵢⱼ²"),
        (r"in $\mathbb{R}^n$", "in ℝⁿ"),
        (r"$\mathcal{O}(n \log n)$ time", "𝒪(n log n) time"),
        (r"$\frac{1}{2}$", "1/2"),
        (r"$\leq 5\%$ error", "≤ 5% error"),
        (r"\emph{great} $\beta$", "great β"),
        (r"$x^{\alpha}$", "x^α"),  # no superscript alpha: one symbol stays readable
    ],
)
def test_faithful_conversions(stored: str, shown: str) -> None:
    assert readable_math(stored).text == shown


@pytest.mark.parametrize(
    "stored",
    [
        "It costs $5 and $10 a month",
        "between $3-$4 per hour",
        "a lone $ sign",
        "unbalanced $x and more",
        r"saved in C:\path\to\file",
        r"the \alpha outside math",
        r"$\unknownmacro{x}$ stays",
        r"$O(n^{1.5})$",  # '.' has no superscript: no half-converted script
        r"$\begin{cases}a\end{cases}$",
        r"$$x$$ display math",
        r"$ x $ spaced inside",
        r"\texttt{nested {braces}}",
        "",
        "no math at all",
    ],
)
def test_text_that_must_stay_as_written(stored: str) -> None:
    result = readable_math(stored)
    assert result.text == stored
    assert not result.changed


def test_highlight_offsets_map_onto_the_shown_text() -> None:
    stored = r"$\pi$-Flow beats $\alpha$-divergence flows"
    result = readable_math(stored)
    assert result.text == "π-Flow beats α-divergence flows"
    flow = stored.index("Flow")
    start, end = result.shown_span(flow, flow + 4)
    assert result.text[start:end] == "Flow"
    # A span that touches a formula covers all of what replaced it.
    start, end = result.shown_span(0, flow + 4)
    assert result.text[start:end] == "π-Flow"
    last = stored.index("flows")
    start, end = result.shown_span(last, last + 5)
    assert result.text[start:end] == "flows"
    inside = stored.index("alpha")
    assert result.shown_span(inside, inside + 5) == (13, 14)


@given(st.text(alphabet=st.sampled_from("ab $\\{}^_-5 \n"), max_size=40))
def test_anything_converts_or_stays_without_raising(text: str) -> None:
    result = readable_math(text)
    if not result.changed:
        assert result.text == text
    # Every offset maps inside the shown text, in order.
    offsets = [result.shown_offset(offset) for offset in range(len(text) + 1)]
    assert offsets == sorted(offsets)
    assert all(0 <= offset <= len(result.text) for offset in offsets)


@given(st.text(max_size=60))
def test_text_without_dollars_or_backslashes_is_untouched(text: str) -> None:
    cleaned = text.replace("$", "").replace("\\", "")
    assert readable_math(cleaned).text == cleaned
