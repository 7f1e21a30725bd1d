"""A modal list to choose one thing from: a tag filter, or a tag to remove."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class PickerScreen(ModalScreen[str | None]):
    """Returns the id of the chosen option, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, choices: Sequence[tuple[str, Content]], *, highlighted: str | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._choices = list(choices)
        self._highlighted = highlighted

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="picker-dialog") as dialog:
            dialog.border_title = self._title
            # Option prompts are Content objects, so tag names are never parsed as markup.
            yield OptionList(
                *(Option(prompt, id=choice_id) for choice_id, prompt in self._choices),
                id="picker-options",
            )
            yield Static(
                Content.styled("Enter chooses · Esc cancels", "$text-muted"), classes="hint"
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self._highlighted is not None:
            for index, (choice_id, _) in enumerate(self._choices):
                if choice_id == self._highlighted:
                    options.highlighted = index

    @on(OptionList.OptionSelected)
    def choose(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
