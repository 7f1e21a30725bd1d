"""Organisations and authors the search cannot tell apart are one row of the stats."""

from __future__ import annotations

import datetime as dt

from browser.stats import FactColumns, PaperFacts, compute_stats
from browser.stats.summary import name_key

D = dt.date(2025, 12, 1)


def test_names_differing_in_case_accents_or_spacing_are_one_shown_as_most_spelt() -> None:
    # Ties (one paper each): the spelling with more capitals and accents.
    facts = [
        PaperFacts("p1", D, "NVIDIA", ("José Li", "Bo Chen")),
        PaperFacts("p2", D, "nvidia", ("Jose Li",)),
        PaperFacts("p3", D, "Nvidia ", ("jose  li", "Bo Chen")),
        PaperFacts("p4", D, "AI at Meta", ("Bo Chén",)),
    ]
    stats = compute_stats(FactColumns(facts))
    assert [(o.name, o.count) for o in stats.organizations] == [("NVIDIA", 3), ("AI at Meta", 1)]
    assert [(a.name, a.count) for a in stats.authors] == [("Bo Chen", 3), ("José Li", 3)]


def test_one_paper_naming_an_author_twice_counts_once() -> None:
    stats = compute_stats(FactColumns([PaperFacts("p1", D, None, ("Ada Li", "ADA LI"))]))
    assert [(a.name, a.count) for a in stats.authors] == [("Ada Li", 1)]


def test_name_key_folds_as_the_search_does() -> None:
    assert name_key("  Zürich   AI\u200b Lab ") == name_key("zurich ai lab") == "zurich ai lab"
    assert name_key("Meta") != name_key("Metal")
