"""The reading workflow through Services and the CLI: is:read/unread/noted/new and note:
filters, plain words matching notes, saved searches, notes and read marks in exports,
the read/unread/note/saved/backup commands."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_app import build_library

from browser.cli import main
from browser.export import ExportOptions
from browser.models import SearchFilters, StatePredicate
from browser.reading import SavedQuery, UnknownPaperId, filters_from_json, filters_to_json
from browser.search.syntax import extract_tag_terms
from browser.services import ExportSelection, Services, open_services


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPER_BROWSER_HOME", str(tmp_path / "library"))
    built = build_library(tmp_path)
    yield built
    built.close()


def ids(services: Services, query: str, **options: object) -> set[str]:
    return {hit.paper.id for hit in services.search(query, limit=100, **options).hits}  # type: ignore[arg-type]


def paper_id(services: Services, words: str) -> str:
    return services.search(words).hits[0].paper.id


# ------------------------------------------------------------------ query syntax


@pytest.mark.parametrize(
    ("query", "rest", "states"),
    [
        ("is:read", "", (("read", "", False),)),
        ("is:unread robots", "robots", (("read", "", True),)),
        ("-is:unread", "", (("read", "", False),)),
        ("NOT is:read", "", (("read", "", True),)),
        ("IS:Noted", "", (("noted", "", False),)),
        ("is:new OR x", "x", (("new", "", False),)),
        ("note:rlhf", "", (("note", "rlhf", False),)),
        ('-note:"two  words" diffusion', "diffusion", (("note", "two words", True),)),
        ("(is:read)", "( )", (("read", "", False),)),
    ],
)
def test_state_terms_become_structured_predicates(
    query: str, rest: str, states: tuple[tuple[str, str, bool], ...]
) -> None:
    left, filters = extract_tag_terms(query)
    assert left.strip() == rest
    assert filters.states == tuple(StatePredicate(*state) for state in states)


@pytest.mark.parametrize("query", ["is:reading", "xis:read", "note:", "is:", "this:read"])
def test_look_alikes_stay_query_text(query: str) -> None:
    left, filters = extract_tag_terms(query)
    assert not filters.states and left == query


@given(st.text(max_size=40))
def test_state_term_extraction_never_fails_and_keeps_other_text(text: str) -> None:
    left, filters = extract_tag_terms(text)
    for state in filters.states:
        assert state.name in {"read", "noted", "new", "note"}
    if "is:" not in text.lower() and "note:" not in text.lower() and "tag:" not in text.lower():
        assert left == text


@given(
    st.lists(st.text(min_size=1, max_size=8), max_size=3),
    st.sampled_from([None, True, False]),
    st.lists(
        st.tuples(
            st.sampled_from(["read", "noted", "new", "note"]), st.text(max_size=5), st.booleans()
        ),
        max_size=3,
    ),
)
def test_filters_survive_json(
    tags: list[str], tagged: bool | None, states: list[tuple[str, str, bool]]
) -> None:
    filters = SearchFilters(
        required_tags=tuple(tags),
        excluded_tags=tuple(reversed(tags)),
        tagged=tagged,
        states=tuple(StatePredicate(*state) for state in states),
    )
    assert filters_from_json(json.loads(json.dumps(filters_to_json(filters)))) == filters


def test_malformed_saved_filters_are_dropped_not_raised() -> None:
    assert filters_from_json({"states": [["read"], 3, ["note", 1, True]], "tagged": "yes"}) == (
        SearchFilters()
    )


# ------------------------------------------------------------------ filters through Services


def test_read_unread_noted_new_and_note_filters(services: Services) -> None:
    robots = paper_id(services, "robot")
    pokemon = paper_id(services, "pokemon")
    everything = ids(services, "")
    services.reading.set_read([robots, pokemon])
    services.reading.set_note(pokemon, "Good *planning* benchmark")
    services.userdata.reading.replace_new([robots])
    assert ids(services, "is:read") == {robots, pokemon}
    assert ids(services, "is:unread") == everything - {robots, pokemon}
    assert ids(services, "-is:read") == everything - {robots, pokemon}
    assert ids(services, "is:noted") == {pokemon}
    assert ids(services, "note:PLANNING") == {pokemon}
    assert ids(services, "-note:planning") == everything - {pokemon}
    assert ids(services, "is:new") == {robots}
    assert ids(services, "is:read -is:new") == {pokemon}
    # Structured, as the app and saved searches pass them.
    unread = SearchFilters(states=(StatePredicate("read", negated=True),))
    assert ids(services, "diffusion", filters=unread) == ids(services, "diffusion")
    assert ids(services, "", filters=unread) == everything - {robots, pokemon}


def test_plain_words_also_match_notes(services: Services) -> None:
    robots = paper_id(services, "robot")
    assert ids(services, "zanzibarish") == set()
    services.reading.set_note(robots, "Reminds me of the Zanzibarish method")
    assert ids(services, "zanzibarish") == {robots}
    assert ids(services, "zanzibarish method") == {robots}  # every word, in the note
    assert ids(services, "zanzibarish -is:read") == {robots}
    assert ids(services, "zanzibarish is:read") == set()  # filters still apply


@pytest.mark.parametrize(
    "query",
    [
        "date:2023 zanzibarish",  # the robot paper is from 2024
        "year:2020 zanzibarish",
        "zanzibarish date:[2023-01 TO 2023-12]",
        "title:zanzibarish",  # a field the note is not
        "abstract:zanzibarish",
        "zanzibarish arxiv:*",  # no paper here has an arXiv id
        "zanzibarish -robot",  # a NOT the paper fails
        "zanzibarish NOT (robot OR policies)",
    ],
)
def test_a_note_stands_for_its_words_only_not_for_the_other_clauses(
    services: Services, query: str
) -> None:
    """Review finding: papers found by their note skipped every other clause."""
    robots = paper_id(services, "robot")
    services.reading.set_note(robots, "Zanzibarish idea")
    assert robots not in ids(services, query)


@pytest.mark.parametrize(
    "query",
    [
        "date:2024 zanzibarish",
        "zanzibarish year:2024",
        "zanzibarish -diffusion",  # the negated word need not be in the note
        "zanzibarish NOT (diffusion OR pokémon)",
    ],
)
def test_a_note_matches_beside_clauses_the_paper_meets(services: Services, query: str) -> None:
    robots = paper_id(services, "robot")
    services.reading.set_note(robots, "Zanzibarish idea")
    assert robots in ids(services, query)


def test_saved_queries_round_trip_through_services(services: Services) -> None:
    query = SavedQuery(
        "diffusion",
        "newest",
        SearchFilters(required_tags=('say "hi"',), states=(StatePredicate("read", "", True),)),
    )
    assert services.reading.save_query("weekly", query) is False
    assert services.reading.saved_query("weekly") == query
    assert services.reading.saved_query("nope") is None


def test_unknown_ids_are_refused_before_anything_changes(services: Services) -> None:
    robots = paper_id(services, "robot")
    with pytest.raises(UnknownPaperId, match="hf-nope"):
        services.reading.set_read([robots, "hf-nope"])
    assert not services.reading.is_read(robots)


def test_exports_carry_notes_and_read(services: Services) -> None:
    robots = paper_id(services, "robot")
    services.tags.add(robots, "to read")
    services.reading.set_note(robots, "=cmd|' /C calc'!A0 and a second\nline")
    services.reading.set_read([robots])
    out = io.StringIO()
    services.export(ExportSelection(), ExportOptions(), out=out)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["read"] == "yes"
    assert row["notes"] == "'=cmd|' /C calc'!A0 and a second\nline"  # neutralised
    out = io.StringIO()
    services.export(ExportSelection(), ExportOptions(format="jsonl"), out=out)
    record = json.loads(out.getvalue())
    assert record["note"].startswith("=cmd") and record["read"] is True


# ------------------------------------------------------------------ the CLI


def test_cli_read_note_saved_and_backup(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    robots = paper_id(services, "robot")
    services.close()
    assert main(["read", robots]) == 0
    assert main(["search", "is:read", "--json"]) == 0
    capsys.readouterr()
    assert main(["unread", robots]) == 0
    assert main(["read", "hf-nope"]) == 1
    assert "hf-nope" in capsys.readouterr().err
    assert main(["note", robots, "first thought"]) == 0
    assert main(["note", robots]) == 0
    assert capsys.readouterr().out.endswith("first thought\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin\n"))
    assert main(["note", robots, "-"]) == 0
    capsys.readouterr()
    assert main(["note", robots]) == 0
    assert capsys.readouterr().out == "from stdin\n"
    # Empty standard input (a failed generator) keeps the note; '' deletes on purpose.
    for empty in ("", "\n\n", "  \n"):
        monkeypatch.setattr("sys.stdin", io.StringIO(empty))
        assert main(["note", robots, "-"]) == 1
        assert "the note is kept" in capsys.readouterr().err
        assert main(["note", robots]) == 0
        assert capsys.readouterr().out == "from stdin\n"
    assert main(["note", robots, ""]) == 0
    assert main(["note", robots]) == 1
    reopened = open_services()
    reopened.reading.save_query("robots", SavedQuery("robot", "newest"))
    reopened.close()
    capsys.readouterr()
    assert main(["saved", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "robots"
    assert main(["search", "--saved", "robots", "--json"]) == 0
    assert robots in {hit["id"] for hit in json.loads(capsys.readouterr().out)["hits"]}
    # The saved sort holds unless one is given, relevance included.
    assert main(["search", "--saved", "robots"]) == 0
    assert "sorted by newest" in capsys.readouterr().err
    assert main(["search", "--saved", "robots", "--sort", "relevance"]) == 0
    assert "sorted by relevance" in capsys.readouterr().err
    assert main(["search", "--saved", "nope"]) == 1
    assert "robots" in capsys.readouterr().err
    assert main(["backup", "-o", str(tmp_path / "backups")]) == 0
    assert len(list((tmp_path / "backups").glob("userdata-*.jsonl"))) == 1


@pytest.mark.parametrize("budget_ms", [1e-6, 0.01, 0.5, 2.0, 50.0])
@pytest.mark.parametrize(
    "query",
    [
        "robot pokémon",  # no paper has both: relaxed
        "robto polcies",  # misspelt: corrected
        "robot zzzqqq",  # one unknown word: relaxed
    ],
)
def test_a_typing_pass_out_of_time_is_partial_never_a_final_empty_list(
    services: Services, query: str, budget_ms: float
) -> None:
    """Review finding: a correction or relaxation cut by the typing budget answered an
    empty, final list (the app then never ran the settled search)."""
    settled = services.search(query, limit=10)
    assert settled.total > 0
    typing = services.search(query, limit=10, time_budget_ms=budget_ms)
    assert typing.total > 0 or typing.partial


def test_cli_note_shows_control_characters_on_a_terminal_and_exact_bytes_in_a_pipe(
    services: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: ``note ID`` wrote escape sequences and NULs to the terminal."""
    robots = paper_id(services, "robot")
    services.close()
    hostile = "\x1b[31mred\x00 \u202eevil\x1b]52;c;aGk=\x07"
    monkeypatch.setattr("sys.stdin", io.StringIO(hostile))
    assert main(["note", robots, "-"]) == 0
    capsys.readouterr()
    assert main(["note", robots]) == 0
    assert capsys.readouterr().out == hostile + "\n"  # a pipe: byte for byte
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(["note", robots]) == 0
    shown = capsys.readouterr().out
    assert "red" in shown and "evil" in shown
    assert not any(char in shown for char in "\x1b\x00\x07\u202e")
