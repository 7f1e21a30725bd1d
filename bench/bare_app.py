"""The launch reference of ``bench_app``: a bare Textual app (Input, DataTable with 40
rows, Footer) at the same size, run until its first paint. Imports only Textual, so its
time from spawn is what any Textual app of that shape costs on this machine.

    .venv/bin/python -m bench.bare_app      # one JSON line: wall-clock time, CPU seconds
"""

from __future__ import annotations

import asyncio
import json
import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Input

SIZE = (120, 40)


class Bare(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.painted: tuple[float, float] | None = None

    def compose(self) -> ComposeResult:
        yield Input()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        table.add_columns("Title", "Date", "Tags")
        for n in range(40):
            table.add_row(f"A paper title, number {n}", "2024-01-01", "")
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.painted = (time.time(), time.process_time())


async def first_paint() -> tuple[float, float]:
    """(wall-clock time, CPU seconds of the process) at the bare app's first paint."""
    app = Bare()
    async with app.run_test(size=SIZE):
        while app.painted is None:
            await asyncio.sleep(0.002)
    return app.painted


if __name__ == "__main__":
    wall, cpu = asyncio.run(first_paint())
    print(json.dumps({"first_rows": wall, "first_rows_cpu": cpu}))
