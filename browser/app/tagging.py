"""Tagging in the app: quick tags, the tag prompt, removing a tag, one undo (``u``) over
tags and read marks, and tags changed by another copy (the CLI, a second app).

Every change goes through the store in ``Services.tags``, which saves it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from textual.content import Content

from browser.safe_text import safe_line
from browser.tags import TagError
from browser.userdata import UserDataError
from browser.widgets.picker import PickerScreen
from browser.widgets.tag_prompt import TagPrompt

if TYPE_CHECKING:
    from browser.app.main import PaperBrowserApp

__all__ = ["TagFlow", "UndoKind"]

# Which store an undoable change went to.
UndoKind = Literal["tags", "read"]


class TagFlow:
    """Quick tags (1-9), ``t``, ``x``, ``u``; the rows and pane follow every change."""

    def __init__(self, app: PaperBrowserApp) -> None:
        self.app = app
        # Which store each undoable change went to, newest last.
        self._undo_order: list[UndoKind] = []

    @property
    def can_undo(self) -> bool:
        return self.app.services.tags.can_undo or bool(self.app.reading_flow.undo_steps)

    def quick_tag(self, slot: int) -> None:
        app = self.app
        hit = app.table.highlighted_hit
        if hit is None or not 1 <= slot <= len(app.config.quick_tags):
            return
        tag = app.config.quick_tags[slot - 1]
        paper = hit.paper
        tags = app.services.tags
        added = self.change(paper.id, lambda: tags.toggle(paper.id, tag, title=paper.title))
        if added and app.triage:
            app.table.action_cursor_down()

    def tag_prompt(self) -> None:
        app = self.app
        hit = app.table.highlighted_hit
        if hit is None:
            return
        paper = hit.paper
        tags = app.services.tags
        known = list(dict.fromkeys([*app.config.quick_tags, *tags.known_tags()]))

        def apply(answer: str | None) -> None:
            if not answer:
                return
            if answer.startswith("-"):
                tag = answer[1:].strip()
                if self.change(paper.id, lambda: tags.remove(paper.id, tag)):
                    app.say(f"Removed “{tag}”", timeout=2)
                else:
                    app.say(f"The paper has no tag “{tag}”", "warning")
            else:
                self.change(paper.id, lambda: tags.add(paper.id, answer, title=paper.title))

        app.push_screen(TagPrompt(paper.title, tags.tags_of(paper.id), known), apply)

    def remove_tag(self) -> None:
        app = self.app
        hit = app.table.highlighted_hit
        if hit is None:
            return
        paper = hit.paper
        store = app.services.tags
        tags = store.tags_of(paper.id)
        if not tags:
            app.say("This paper has no tags to remove.", timeout=2)
            return

        def apply(tag: str | None) -> None:
            if tag is not None:
                self.change(paper.id, lambda: store.remove(paper.id, tag))

        choices = [(tag, Content(safe_line(tag))) for tag in tags]
        app.push_screen(PickerScreen("Remove which tag?", choices), apply)

    def change(self, paper_id: str, change: Callable[[], bool]) -> bool:
        """Run one tag change (saved at once by the store); returns what ``change`` returned."""
        app = self.app
        if app.services.tags.read_only:
            app.say(self.read_only_message(), "error")
            return False
        try:
            outcome = change()
        except TagError as error:
            app.say(str(error), "error")
            return False
        except OSError as error:
            app.say(f"Could not save tags: {error}", "error")
            return False
        self._undo_order.append("tags")
        self.refresh([paper_id])
        return outcome

    def read_only_message(self) -> str:
        problem = self.app.services.tags.problem or "the tags file cannot be written"
        return f"Tags are read-only: {problem}"

    # ------------------------------------------------------------------ undo

    def note_undo_step(self, kind: UndoKind) -> None:
        """An undoable change went to ``kind``: ``u`` undoes newest first."""
        self._undo_order.append(kind)
        self.app.refresh_bindings_if_changed()

    def undo(self) -> None:
        """Undo the newest change, tags or read marks; tag undo is the default (imports)."""
        app = self.app
        order = self._undo_order
        while order and order[-1] == "tags" and not app.services.tags.can_undo:
            order.pop()
        wants_read = bool(order and order[-1] == "read") or not app.services.tags.can_undo
        if wants_read and app.reading_flow.undo_steps:
            try:
                description = app.reading_flow.undo()
            except UserDataError as error:
                app.say(str(error), "error")
                return
            if order and order[-1] == "read":
                order.pop()
            app.say(f"Undone: {description}", timeout=3)
            app.refresh_bindings_if_changed()
            return
        if app.services.tags.read_only:
            app.say(self.read_only_message(), "error")
            return
        try:
            description = app.services.tags.undo()
        except (TagError, OSError) as error:
            app.say(str(error), "error")
            return
        if description is None:
            app.say("Nothing to undo.", timeout=2)
            return
        if order and order[-1] == "tags":
            order.pop()
        app.say(f"Undone: {description}", timeout=3)
        self.refresh(hit.paper.id for hit in app.table.hits)

    # ------------------------------------------------------------------ showing tags

    def pick_up_outside_changes(self) -> None:
        """Tags, read marks or notes another copy saved: show them (a stat per tick)."""
        app = self.app
        try:
            changed = app.services.tags.reload()
        except OSError:
            return  # unreadable right now; the store reports real problems on save
        if changed:
            self.refresh(hit.paper.id for hit in app.table.hits)
        app.reading_flow.pick_up_outside_changes()

    def refresh(self, paper_ids: Iterable[str]) -> None:
        """Repaint the tags of these rows, the pane, the quick-tag bar and the reader."""
        app = self.app
        for paper_id in paper_ids:
            app.table.update_tags(paper_id, app.services.tags.tags_of(paper_id))
        hit = app.table.highlighted_hit
        if hit is not None:
            tags = app.services.tags.tags_of(hit.paper.id)
            note, read = app.paper_flow.note_and_mark(hit.paper.id)
            app.main_screen.abstract.refresh_tags(hit, tags, note=note, read=read)
            app.main_screen.quick_tag_bar.show_active(tags)
        app.paper_flow.update_reader()
        app.refresh_bindings_if_changed()
