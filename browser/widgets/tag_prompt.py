"""A modal asking for a tag to add (or ``-tag`` to remove), completing from known tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from browser.safe_text import safe_line


class TagSuggester(Suggester):
    """Completes known tags; after a leading ``-``, completes the paper's own tags."""

    def __init__(self, known_tags: Sequence[str], paper_tags: Sequence[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._known = list(known_tags)
        self._own = list(paper_tags)

    async def get_suggestion(self, value: str) -> str | None:
        removing = value.startswith("-")
        typed = value[1:] if removing else value
        if not typed:
            return None
        for tag in self._own if removing else self._known:
            if tag.casefold().startswith(typed):
                return ("-" if removing else "") + tag
        return None


class TagPrompt(ModalScreen[str | None]):
    """Returns what the user typed (``name`` or ``-name``), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, paper_tags: Sequence[str], known_tags: Sequence[str]) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._paper_tags = list(paper_tags)
        self._known_tags = list(known_tags)

    def compose(self) -> ComposeResult:
        current = ", ".join(self._paper_tags) if self._paper_tags else "none"
        with Vertical(classes="dialog", id="tag-dialog") as dialog:
            dialog.border_title = "Tag paper"
            yield Static(Content.styled(safe_line(self._title), "bold"), classes="dialog-title")
            yield Static(Content.assemble(("Tags now: ", "$text-muted"), safe_line(current)))
            yield Input(
                placeholder="tag name  (-name removes; Tab or → accepts the completion)",
                suggester=TagSuggester(self._known_tags, self._paper_tags),
                id="tag-input",
            )
            yield Static(
                Content.styled("Enter applies · Esc cancels", "$text-muted"), classes="hint"
            )

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
