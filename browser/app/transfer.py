"""Export (``e``) and tag import (``i``) in the app: a dialog, then the use case of
``Services`` in a thread worker, then its report as a notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from browser.app.messages import ExportFinished, SearchRequest
from browser.models import SearchResult
from browser.services import ExportSelection, Services

# The export dialog and formats are imported when first used: not needed to launch.
if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp
    from browser.export.tag_import import ImportReport
    from browser.widgets.export_prompt import ExportChoice, ExportScope, ImportChoice

__all__ = ["TransferFlow", "export_selection"]


def export_selection(request: SearchRequest | None, shown: SearchResult | None) -> ExportSelection:
    """What an export of ``request`` writes: every tagged paper when None, exactly the rows
    shown when they are every match, else the request's query and filters again."""
    if request is None:
        return ExportSelection()
    if shown is not None and shown.total <= len(shown.hits):
        # Everything matching is on screen already: export exactly that list.
        return ExportSelection(paper_ids=tuple(hit.paper.id for hit in shown.hits))
    return ExportSelection(
        query=request.query,
        sort=request.sort,
        like=request.like_paper_id,
        filters=request.filters,
        prefix_last_word=request.prefix_last_word,
    )


class TransferFlow:
    """The export dialog and the tag import, both in the background."""

    def __init__(self, app: PaperBrowserApp, today: Callable[[], dt.date]) -> None:
        self.app = app
        self._today = today

    # ------------------------------------------------------------------ import

    def import_tags(self) -> None:
        from browser.widgets.export_prompt import ImportPrompt

        self.app.push_screen(ImportPrompt(Path.home()), self._import_chosen)

    def _import_chosen(self, choice: ImportChoice | None) -> None:
        if choice is not None:
            self.app.say(f"Importing tags from {choice.path}…", timeout=2)
            self.app.run_worker(
                partial(self._import, self.app.services, choice),
                thread=True,
                group="import",
                exit_on_error=False,
            )

    def _import(self, services: Services, choice: ImportChoice) -> None:
        app = self.app
        try:
            report = services.import_tags(choice.path, replace=choice.replace)
        except (OSError, ValueError) as error:  # unreadable, not a tag export, bad tags
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            app.call_from_thread(app.say, f"Import failed: {reason}", "error", timeout=8)
            return
        app.call_from_thread(self._import_finished, report)

    def _import_finished(self, report: ImportReport) -> None:
        app = self.app
        if report.papers_changed:
            app.tag_flow.note_undo_step("tags")  # one import, one undo step
        app.tag_flow.refresh(hit.paper.id for hit in app.table.hits)
        undo = "; u undoes it" if report.papers_changed else ""
        app.say(report.summary().capitalize() + undo, timeout=10)
        skipped = [*report.problems, *(f"{line}: matched no paper" for line in report.unmatched)]
        if skipped:
            more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
            app.say("\n".join(skipped[:5]) + more, "warning", timeout=12)

    # ------------------------------------------------------------------ export

    def export(self) -> None:
        from browser.widgets.export_prompt import ExportPrompt

        app = self.app
        result_count = app.result.total if app.result else 0
        tagged_count = len(app.services.tags)
        default = Path.home() / f"paper-browser-export-{self._today():%Y%m%d}.csv"
        scope: ExportScope = "results" if result_count else "tagged"
        prompt = ExportPrompt(
            default, result_count=result_count, tagged_count=tagged_count, scope=scope
        )
        app.push_screen(prompt, self._export_chosen)

    def _export_chosen(self, choice: ExportChoice | None) -> None:
        if choice is None:
            return
        app = self.app
        request: SearchRequest | None = None
        if choice.scope == "results":
            request = SearchRequest(
                generation=app.session.generation,
                query=app.result.query if app.result else "",
                sort=app.sort,
                tag_filter=app.tag_filter,
                like_paper_id=app.like.paper.id if app.like else None,
                # The list's view too (a day, the new papers): the export is what it shows.
                view_filters=app.view.filters if app.view is not None else None,
                # The words as the list matched them (a prefix while being typed).
                prefix_last_word=app.session.prefix_last_word,
            )
        selection = export_selection(request, app.result)
        app.run_worker(
            partial(self._export, app.services, choice, selection),
            thread=True,
            group="export",
            exit_on_error=False,
        )

    def _export(self, services: Services, choice: ExportChoice, selection: ExportSelection) -> None:
        from browser.export.formats import ExportOptions

        options = ExportOptions(format=choice.format, long=choice.long, excel=choice.excel)
        try:
            written = services.export(selection, options, path=choice.path)
        except (OSError, ValueError) as error:
            self.app.post_message(ExportFinished(str(choice.path), 0, str(error)))
            return
        self.app.post_message(ExportFinished(str(choice.path), written, unit=options.unit(written)))

    def finished(self, message: ExportFinished) -> None:
        if message.error:
            self.app.say(f"Export failed: {message.error}", "error", timeout=8)
        else:
            self.app.say(f"Wrote {message.unit or message.rows} to {message.path}", timeout=6)
