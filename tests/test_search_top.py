"""The cut-off and top-k selection of ranked hits against plain sorting (oracles).

``kth_largest`` samples before it sorts and ``ranked_with_exact_bonus`` promotes inside
a pool of the best only: both must give exactly what sorting everything gives, ties,
skewed orders and all.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from browser.search.exactness import (
    EXACT_POOL,
    ExactWord,
    ranked_with_exact_bonus,
)
from browser.search.scoring import _SAMPLED_FROM, kth_largest, top

# Few distinct values: many ties, as BM25 gives papers with the same term counts.
scores = st.one_of(
    st.floats(min_value=0, max_value=50, allow_nan=False),
    st.sampled_from([0.5, 1.0, 1.0, 2.25, 7.0]),
)


def sorted_top(scored: dict[int, float], wanted: int) -> list[tuple[int, float]]:
    return sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:wanted]


@given(st.lists(scores, min_size=1, max_size=300), st.data())
def test_kth_largest_is_the_sorted_kth(values: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(1, len(values)))
    assert kth_largest(values, k) == sorted(values, reverse=True)[k - 1]


# Long lists are the point (the sampling starts above ``_SAMPLED_FROM``): the values
# come from a seeded generator, not drawn one by one.
@settings(max_examples=40)
@given(st.integers(_SAMPLED_FROM + 1, 20_000), st.integers(1, 3000), st.integers(0, 2**32))
def test_kth_largest_on_long_lists_as_sampled(count: int, k: int, seed: int) -> None:
    rng = random.Random(seed)
    k = min(k, count)
    values = [round(rng.random() * 20, rng.choice([0, 1, 3])) for _ in range(count)]
    # Orders that fool a stride sample: ascending, descending, best ones bunched.
    for ordered in (values, sorted(values), sorted(values, reverse=True)):
        assert kth_largest(ordered, k) == sorted(values, reverse=True)[k - 1]


def test_kth_largest_when_the_sample_misses_the_best() -> None:
    # Every sampled value is 0; the best values sit between the samples.
    values = [0.0] * 10_000
    for at in range(1, 10_000, 19):
        values[at] = float(at)
    assert kth_largest(values, 100) == sorted(values, reverse=True)[99]


class Titles:
    def __init__(self, titles: list[bytes]) -> None:
        self._titles = titles

    def titles(self) -> list[bytes]:
        return self._titles


@settings(max_examples=60)
@given(st.integers(1, 6000), st.sampled_from([1, 10, 200, 400, EXACT_POOL]), st.integers(0, 2**32))
def test_promoting_in_the_pool_ranks_as_promoting_all(count: int, wanted: int, seed: int) -> None:
    rng = random.Random(seed)
    titles = [rng.choice([b"diffusion models", b"diffusive flows", b"other"]) for _ in range(count)]
    scored = {docnum: float(rng.randint(0, 40)) / 4 for docnum in range(count)}
    exact = [ExactWord(b" diffusion ", ("diffus",), 3.0)]
    order: Any = Titles(titles)
    # The rule written out plainly: the 2000 best by BM25 (ties at the last included)
    # gain the bonus when their title holds the word; then everything is sorted.
    cutoff = sorted(scored.values(), reverse=True)[min(EXACT_POOL, count) - 1]
    everything = {
        docnum: score
        + (3.0 if score >= cutoff and b" diffusion " in b" " + titles[docnum] + b" " else 0.0)
        for docnum, score in scored.items()
    }
    expected = sorted_top(everything, wanted)
    assert ranked_with_exact_bonus(order, exact, scored, wanted) == expected
    assert top(everything, wanted) == expected
    assert ranked_with_exact_bonus(order, exact, scored, EXACT_POOL + 5)[:wanted] == expected
    assert ranked_with_exact_bonus(order, [], scored, wanted) == sorted_top(scored, wanted)
