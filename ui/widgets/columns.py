"""A table that fits its width by dropping its least important columns, never by cutting text.

Each column has a drop rank (``None``: always kept); while the rows do not fit, the column with
the lowest rank goes. Only when even the kept columns do not fit is the last one cropped.
Plain ASCII: Rich's own shrinking would add an ellipsis glyph the console font lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table

__all__ = ["Column", "fit_table"]

GAP = 2


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    justify: str = "left"
    drop: int | None = None  # lower goes first; None: never dropped


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    header: bool = True,
    styles: Sequence[str] | None = None,
) -> Table:
    keep = list(range(len(columns)))

    def need(idx: list[int]) -> int:
        widths = [
            max([len(columns[i].header) if header else 0, *(len(r[i]) for r in rows)]) for i in idx
        ]
        return sum(widths) + GAP * (len(idx) - 1)

    droppable = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None)
    while need(keep) > width and droppable:
        keep.remove(droppable.pop(0)[1])
    table = Table(
        box=None,
        show_edge=False,
        pad_edge=False,
        padding=(0, GAP // 2),
        collapse_padding=False,
        expand=True,
        show_header=header,
    )
    for n, i in enumerate(keep):
        c = columns[i]
        last = n == len(keep) - 1
        table.add_column(
            c.header,
            justify=c.justify,  # type: ignore[arg-type]
            no_wrap=True,
            overflow="crop",
            ratio=1 if last else None,
            min_width=None if last else need([i]),
        )
    for r, row in enumerate(rows):
        table.add_row(*(row[i] for i in keep), style=styles[r] if styles else "")
    return table
