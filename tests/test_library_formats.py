"""Issue 7 at the library level: a JSON record and a text-dump record are one paper."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DumpPaper, write_dump

from browser.identity import paper_id
from browser.services import open_services

TEXT_TITLE = "Reward Models Are Hard: A Study of Preference Learning"
JSON_TITLE = r"Reward Models Are $\texttt{Hard}$: A Study of Preference Learning"


def _api_entry(title: str, arxiv_id: str, upvotes: int) -> dict[str, object]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": "We study reward\nmodels in depth.",
            "authors": [{"name": "Zoë Müller"}, {"name": "Ada Lovelace"}],
            "publishedAt": "2024-10-14T17:59:59.000Z",
            "upvotes": upvotes,
            "ai_keywords": ["reward model"],
        },
        "numComments": 7,
        "publishedAt": "2024-10-15T09:00:00.000Z",
        "title": title,
    }


def test_json_merges_with_text_dump_and_keeps_tags(tmp_path: Path, library_dir: Path) -> None:
    dumps = tmp_path / "dumps"
    write_dump(
        dumps,
        "2024-10-20_page.txt",
        [DumpPaper(TEXT_TITLE, "We study reward models in depth.", authors=2, date="Oct 14")],
    )
    services = open_services()
    try:
        services.sync([dumps])
        the_id = paper_id(TEXT_TITLE)
        services.tags.add(the_id, "to read", title=TEXT_TITLE)

        api_file = dumps / "daily_papers_2024-10-15.json"
        api_file.write_text(json.dumps([_api_entry(JSON_TITLE, "2410.01234v2", 42)]))
        summary = services.sync([dumps])
        assert (summary.papers_added, summary.papers_updated) == (0, 1)

        paper = services.paper(the_id)
        assert paper is not None
        assert paper.title == TEXT_TITLE  # the first copy's title: tags never move
        assert paper.arxiv_id == "2410.01234"
        assert paper.author_names == ["Zoë Müller", "Ada Lovelace"]
        assert paper.upvotes == 42
        assert paper.comments == 7
        assert paper.authors == 2
        assert "https://arxiv.org/abs/2410.01234" in paper.links
        assert len(paper.sources) == 2
        assert services.tags.tags_of(the_id) == ["to read"]

        hits = services.index.search(
            "arxiv:2410.01234", tags=services.tags, prefix_last_word=True
        ).hits
        assert [(hit.paper.id, hit.tags) for hit in hits] == [(the_id, ["to read"])]
        by_author = services.index.search(
            'author:"Lovelace"', tags=services.tags, prefix_last_word=True
        ).hits
        assert [hit.paper.id for hit in by_author] == [the_id]
    finally:
        services.close()


def test_same_arxiv_id_with_another_title_is_the_same_paper(
    tmp_path: Path, library_dir: Path
) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "a.json").write_text(json.dumps([_api_entry("First Title", "2401.00001", 1)]))
    (dumps / "b.json").write_text(json.dumps([_api_entry("Renamed Title", "2401.00001v3", 9)]))
    services = open_services()
    try:
        services.sync([dumps])
        assert len(services.index) == 1
        paper = services.paper(paper_id("First Title"))
        assert paper is not None
        assert paper.upvotes == 9
    finally:
        services.close()
