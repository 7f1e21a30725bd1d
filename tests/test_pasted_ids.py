"""Pasted lists of arXiv ids, ids being typed and citations' reference markers, over a
small library with ids (what a newcomer pasted and typed found nothing, or said so in
the query's own words instead of theirs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import make_paper

from browser.search import PaperIndex
from browser.search.identifiers import ID_LIST, read_arxiv_ids, without_reference_markers
from browser.search.planning import WILDCARD_EXPANSION_CAP

IDS = {"2401.01234": "Pasted Links Found", "2401.01235": "Another Pasted Paper"}
IDS |= {"2402.05678": "A February Paper", "1412.6980": "An Old Four Digit Paper"}
PAPERS = [make_paper(title, f"About {title.lower()}.", arxiv_id=i) for i, title in IDS.items()]
PAPERS.append(make_paper("Robot Learning Without Ids", "Robots learn."))
MISSING = "2403.99999"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperIndex]:
    built = PaperIndex.create(tmp_path_factory.mktemp("index"))
    built.rebuild(PAPERS)
    yield built
    built.close()


def titles(index: PaperIndex, query: str, *, typing: bool = False, **options: object) -> list[str]:
    result = index.search(query, prefix_last_word=typing, **options)  # type: ignore[arg-type]
    return [hit.paper.title for hit in result.hits]


# ------------------------------------------------------------------ a list of ids

WRITTEN = [
    "{}",
    "arXiv:{}",
    "arxiv:{}v2",
    "https://arxiv.org/abs/{}v3",
    "arxiv.org/pdf/{}.pdf",
    "https://huggingface.co/papers/{}",
    "<{}>",
    "({})",
]
SEPARATORS = [" ", ", ", ",", "; ", ";", "\n", " \n", ",\n"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.sampled_from([*IDS, MISSING]), min_size=2, max_size=5, unique=True),
    forms=st.lists(st.sampled_from(WRITTEN), min_size=5, max_size=5),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=5, max_size=5),
    end=st.sampled_from(["", ".", ",", " "]),
)
def test_a_pasted_list_of_ids_is_their_or(
    ids: list[str], forms: list[str], separators: list[str], end: str
) -> None:
    """Whatever the forms and separators, a list is one OR of its ids, in order, read
    again unchanged (the relaxed and corrected queries are planned again)."""
    written = [form.format(arxiv_id) for form, arxiv_id in zip(forms, ids, strict=False)]
    pasted = "".join(w + s for w, s in zip(written, separators, strict=False)).rstrip() + end
    read = read_arxiv_ids(" ".join(pasted.split()) + (" " if end == " " else ""))
    expected = "(" + " OR ".join(f"arxiv:{arxiv_id}" for arxiv_id in ids) + ")"
    assert read.text.strip() == expected
    assert [one.arxiv_id for one in read.listed] == ids
    assert ID_LIST.fullmatch(read.text.strip())
    assert read_arxiv_ids(read.text).text == read.text


@pytest.mark.parametrize(
    "pasted",
    [
        "2402.05678 2401.01234 1412.6980",
        "2402.05678, 2401.01234, 1412.6980",
        "2402.05678,2401.01234;1412.6980",
        "2402.05678\n2401.01234\n1412.6980",
        "arXiv:2402.05678 arXiv:2401.01234v2 https://arxiv.org/abs/1412.6980v9",
        f"2402.05678 {MISSING} 2401.01234 1412.6980",
        "2402.05678 2401.01234 2402.05678 1412.6980",
    ],
)
@pytest.mark.parametrize("typing", [False, True])
def test_a_list_finds_each_paper_in_the_order_given(
    index: PaperIndex, pasted: str, typing: bool
) -> None:
    wanted = [IDS["2402.05678"], IDS["2401.01234"], IDS["1412.6980"]]
    assert titles(index, pasted, typing=typing) == wanted
    # Any other order asked for is the list's sort.
    newest = titles(index, pasted, sort="title")
    assert newest == sorted(wanted)


def test_the_list_notice_names_the_ids_no_paper_has_as_written(index: PaperIndex) -> None:
    result = index.search(
        f"2401.01234, arXiv: {MISSING}, https://arxiv.org/abs/2403.88888v2", prefix_last_word=False
    )
    assert [hit.paper.title for hit in result.hits] == [IDS["2401.01234"]]
    assert result.error == (
        "Read a list of 3 arXiv ids: searching for the papers with any of them; no paper in the"
        f" library has “arXiv: {MISSING}” or “https://arxiv.org/abs/2403.88888v2”."
    )
    found = index.search("2401.01234 2401.01235", prefix_last_word=False)
    assert found.error == "Read a list of 2 arXiv ids: searching for the papers with any of them."
    none = index.search(f"{MISSING} 2403.88888", prefix_last_word=False)
    assert none.total == 0
    assert none.error == "Read a list of 2 arXiv ids: no paper in the library has any of them."


def test_words_beside_a_list_narrow_it_or_all_go(index: PaperIndex) -> None:
    assert titles(index, "2401.01234 2401.01235 another") == [IDS["2401.01235"]]
    # A reference list pasted whole: no paper has the words, so they all go at once
    # (some of them would keep only the papers that have them).
    pasted = (
        "[1] A. Smith. Pasted links found. arXiv preprint arXiv:2401.01234, 2024.\n"
        "[2] B. Jones. A february paper. arXiv:2402.05678."
    )
    result = index.search(pasted, prefix_last_word=False)
    assert [hit.paper.title for hit in result.hits] == [IDS["2401.01234"], IDS["2402.05678"]]
    assert result.relaxed_query == "(arxiv:2401.01234 OR arxiv:2402.05678)"
    assert result.relaxed_notice is not None and "arXiv ids with" in result.relaxed_notice
    assert result.error is not None and "range" not in result.error


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # The query's own syntax says how its ids combine.
        ("2401.01234 OR 2402.05678", {IDS["2401.01234"], IDS["2402.05678"]}),
        ("(2401.01234 OR 2402.05678) -2401.01234", {IDS["2402.05678"]}),
        ("-2401.01234 2402.05678", {IDS["2402.05678"]}),
        ("2401.01234 AND 2402.05678", set()),
        # Quoted, an id is text.
        ('"2401.01234" 2402.05678', set()),
        # The same id twice is one id.
        ("2401.01234 arXiv:2401.01234v2", {IDS["2401.01234"]}),
    ],
)
def test_ids_under_the_querys_own_syntax_are_no_list(
    index: PaperIndex, query: str, found: set[str]
) -> None:
    assert set(titles(index, query)) == found
    assert not read_arxiv_ids(query).listed


# ------------------------------------------------------------------ as written


@pytest.mark.parametrize(
    "written",
    [
        "arXiv 2403.99999",
        "arxiv: 2403.99999v2",
        "arXiv preprint arXiv:2403.99999",
        "ARXIV PREPRINT 2403.99999",
        "https://arxiv.org/abs/2403.99999v2",
    ],
)
def test_the_notice_quotes_the_id_as_written(index: PaperIndex, written: str) -> None:
    result = index.search(written, prefix_last_word=False)
    assert result.error == (
        f"Read “{written}” as the arXiv id 2403.99999: no paper in the library has it."
    )


# ------------------------------------------------------------------ an id being typed


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arxiv_id=st.sampled_from(list(IDS)), form=st.sampled_from(["{}", "arXiv:{}", "x {}"]))
def test_every_start_of_an_id_typed_keeps_its_paper(
    index: PaperIndex, arxiv_id: str, form: str
) -> None:
    """From the dot to the whole id and its version, the paper stays in the list (the
    list emptied one digit before the id was complete, ``2401.0123``, at the dot and
    at the ``v``)."""
    month = arxiv_id.split(".")[0]
    starts = [arxiv_id[:end] for end in range(len(month) + 1, len(arxiv_id) + 1)]
    # From the dot on, and on through a version being typed.
    for start in [*starts, f"{arxiv_id}v", f"{arxiv_id}v2"]:
        typed = form.format(start).removeprefix("x ")
        result = index.search(typed, prefix_last_word=True)
        assert IDS[arxiv_id] in [hit.paper.title for hit in result.hits], typed
        assert result.error is not None and "no paper" not in result.error, typed


def test_an_id_being_typed_is_a_prefix_only_while_typed(index: PaperIndex) -> None:
    both = [IDS["2401.01234"], IDS["2401.01235"]]
    assert sorted(titles(index, "2401.0123", typing=True)) == sorted(both)
    started = index.search("2401.0123", prefix_last_word=True)
    assert started.error == "Read “2401.0123” as the start of an arXiv id."
    # Given whole (Enter, the command line) or finished with a space: the id as written.
    assert titles(index, "2401.0123") == []
    assert titles(index, "2401.0123 ", typing=True) == []
    # A 2014 id has four digits after the dot: complete, not a start.
    assert titles(index, "1412.6980", typing=True) == [IDS["1412.6980"]]
    # A start no paper's id has says so.
    nothing = index.search("2401.9", prefix_last_word=True)
    assert nothing.total == 0 and nothing.error is not None
    assert "no paper in the library has an id starting so" in nothing.error
    # The last id of a list being typed.
    assert set(titles(index, "2402.05678 2401.0123", typing=True)) == {IDS["2402.05678"], *both}


def test_an_id_start_with_a_star_is_that_prefix_however_given(index: PaperIndex) -> None:
    """What the app offers after Enter on an id being typed (``whole_word_notice``:
    "search 2401.0123* to keep them") keeps the papers: the star read the text field."""
    both = {IDS["2401.01234"], IDS["2401.01235"]}
    for typing in (False, True):
        assert set(titles(index, "2401.0123*", typing=typing)) == both
        assert set(titles(index, "https://arxiv.org/abs/2401.0123*", typing=typing)) == both
    assert index.search("2401.0123*", prefix_last_word=False).error == (
        "Read “2401.0123*” as the start of an arXiv id."
    )
    # Written as the query's own term it says nothing, unless no id starts so.
    assert index.search("arxiv:2401.0123*", prefix_last_word=False).error is None
    assert index.search("arxiv:2409.0*", prefix_last_word=False).error == (
        "No paper in the library has an arXiv id starting with 2409.0."
    )
    # An id's start may name many papers: words beside it stay (one id's words may go).
    assert index.search("2401.0123* zebra", prefix_last_word=False).total == 0


def test_the_start_of_an_id_is_capped_like_a_wildcard(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Each id is a term of one posting: ``2405.`` read every id of the month (a second
    of CPU at 8,000 ids) while it was typed. Capped as a wildcard on words is."""
    many = [make_paper(f"Paper {n}", "Text.", arxiv_id=f"2405.{n:05d}") for n in range(300)]
    built = PaperIndex.create(tmp_path_factory.mktemp("many"))
    built.rebuild(many)
    try:
        for typed in ("2405.", "2405.0", "2405.00"):
            result = built.search(typed, prefix_last_word=True, limit=50)
            assert result.total == WILDCARD_EXPANSION_CAP, typed
        assert built.search("2405.002", prefix_last_word=True).total == 100
        assert built.search("2405.0029", prefix_last_word=True).total == 10
    finally:
        built.close()


# ------------------------------------------------------------------ reference markers


@pytest.mark.parametrize("marker", ["[1]", "[12]", "(3)", "[2, 5]", "[3-4]", "[7]."])
def test_a_reference_marker_is_no_range_and_no_word(index: PaperIndex, marker: str) -> None:
    result = index.search(f"{marker} arXiv preprint arXiv:2401.01234", prefix_last_word=False)
    assert [hit.paper.title for hit in result.hits] == [IDS["2401.01234"]]
    assert result.error == ("Read “arXiv preprint arXiv:2401.01234” as the arXiv id 2401.01234.")
    beside_words = index.search(f"{marker} robot learning", prefix_last_word=False)
    assert [hit.paper.title for hit in beside_words.hits] == ["Robot Learning Without Ids"]
    assert beside_words.error is None


def test_what_is_no_reference_marker_stays() -> None:
    for text in ('"[1] in quotes"', "[2024]", "year:(2024)", "f(3)", "[a]", "[1 TO 3]"):
        assert without_reference_markers(text) == text
    assert without_reference_markers("[1] robot ") == "robot "


# ------------------------------------------------------------------ notes quote what was typed


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "robot",
                "learning",
                "-title:",
                "-date:2024-13",
                "-year:abc",
                "-tag:",
                "-",
                "-(",
                ")",
                "OR",
                "-abstract:",
                '-"',
                "NOT",
                "AND",
            ]
        ),
        min_size=1,
        max_size=5,
    )
)
def test_a_note_never_quotes_a_not_the_user_did_not_type(
    index: PaperIndex, words: list[str]
) -> None:
    """A ``-`` is read as NOT; when what it took out is left out, the notes said "“NOT” at
    the end has nothing after it", a word the user never wrote (``-title:``)."""
    query = " ".join(words)
    result = index.search(query, prefix_last_word=False)
    if "NOT" not in words:
        assert "“NOT”" not in (result.error or ""), (query, result.error)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("-title:", "“title:” needs something after it, as in title:diffusion: left it out."),
        ("robot -", "A “-” at the end leaves out nothing: ignored it."),
        ("robot NOT", "“NOT” at the end has nothing after it: left it out."),
    ],
)
def test_a_minus_left_with_nothing_to_take_out(index: PaperIndex, query: str, note: str) -> None:
    assert index.search(query, prefix_last_word=False).error == note


# ------------------------------------------------------------------ words beside a list

BOTH = [IDS["2401.01234"], IDS["2402.05678"]]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # Parentheses around other words (a year, a venue, ``1)``) group nothing: the
        # list stayed dissolved, its ids ANDed, 0 papers without a word why.
        (
            "[1] Smith, J. (2024). Pasted links found. arXiv:2401.01234.\n"
            "[2] Jones, B. (2024). A february paper. arXiv:2402.05678.",
            BOTH,
        ),
        ("Smith (ICLR). arXiv:2401.01234, arXiv:2402.05678", BOTH),
        ("(2401.01234, 2402.05678)", BOTH),
        ("1) 2401.01234\n2) 2402.05678", BOTH),
        ("2401.01234 2402.05678 (2024)", BOTH),
        # ``NOT word`` negates the word, as ``-word`` does; a negated id is excluded.
        ("2401.01234 2402.05678 NOT zzz", BOTH),
        ("2401.01234 2402.05678 -zzz", BOTH),
        ("2401.01234 2402.05678 2401.01235 -2401.01235", BOTH),
        ("2401.01234 2402.05678 NOT 2401.01235", BOTH),
        ("2401.01234 2402.05678 2401.01235 NOT 2402.05678", [IDS["2401.01234"], IDS["2401.01235"]]),
    ],
)
def test_syntax_beside_a_list_keeps_it_a_list(
    index: PaperIndex, query: str, found: list[str]
) -> None:
    assert titles(index, query) == found
    assert len(read_arxiv_ids(query).listed) >= 2


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.sampled_from(list(IDS)), min_size=2, max_size=4, unique=True),
    beside=st.lists(
        st.sampled_from(["(2024).", "(ICLR)", "1)", "[3]", "NOT zzz", "-zzz", "(Smith", "al.)"]),
        min_size=1,
        max_size=4,
    ),
    at=st.lists(st.integers(0, 4), min_size=4, max_size=4),
)
def test_words_with_parentheses_beside_a_list_keep_it(
    ids: list[str], beside: list[str], at: list[int]
) -> None:
    words = list(ids)
    for word, where in zip(beside, at, strict=False):
        words.insert(min(where, len(words)), word)
    read = read_arxiv_ids(" ".join(words))
    assert [one.arxiv_id for one in read.listed] == ids
    assert "(" + " OR ".join(f"arxiv:{i}" for i in ids) + ")" in read.text


# ------------------------------------------------------------------ the list's notice


@pytest.mark.parametrize(
    ("query", "typing", "notice"),
    [
        # Searched, not promised: a phrase, a filter or a word beside it narrows it.
        (
            '2401.01234 2402.05678 "zzz qq"',
            False,
            "Read a list of 2 arXiv ids: searching for the papers with any of them.",
        ),
        # Ids counted and named once each, by term (a version is the same id).
        (
            f"{MISSING} 2403.88888 {MISSING}",
            False,
            "Read a list of 2 arXiv ids: no paper in the library has any of them.",
        ),
        (
            f"{MISSING} {MISSING}v2 2401.01234",
            False,
            "Read a list of 2 arXiv ids: searching for the papers with any of them; no paper"
            f" in the library has “{MISSING}”.",
        ),
        # An id's start is no id: no paper's id starts so.
        (
            "2401.01234 2412.0",
            True,
            "Read a list of 2 arXiv ids: searching for the papers with any of them; no paper"
            " in the library has an id starting with “2412.0”.",
        ),
        # The same sentence is said once.
        ("2401.01234 2401.01234", False, "Read “2401.01234” as the arXiv id 2401.01234."),
    ],
)
def test_the_list_notice_says_only_what_is_so(
    index: PaperIndex, query: str, typing: bool, notice: str
) -> None:
    result = index.search(query, prefix_last_word=typing)
    assert result.error is not None
    assert result.error.startswith(notice), result.error
    assert result.error.count("Read") == 1
