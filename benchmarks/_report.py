"""The report-writing steps the benchmark scripts share: print each section's table, and write
them as one Markdown document under docs/ (header, sections, footer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

Sections = Sequence[tuple[str, pd.DataFrame]]


def markdown_table(frame: pd.DataFrame, number: Callable[[float], str] = lambda v: f"{v:.3f}") -> str:
    """A pipe table of ``frame`` (no index); floats through ``number``."""
    def cell(v) -> str:
        return number(v) if isinstance(v, float) else str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "\n".join("| " + " | ".join(cell(v) for v in row) + " |"
                            for row in frame.itertuples(index=False)) + "\n"


def print_sections(sections: Sections) -> None:
    for title, table in sections:
        print(f"\n## {title}\n")
        print(table.to_string(index=False))


def write_report(path: str | Path, head: Sequence[str], sections: Sections, footer: str,
                 number: Callable[[float], str] = lambda v: f"{v:.3f}") -> None:
    """``head`` (the document's opening parts), one ``## title`` and table per section, then
    ``footer``, written to ``path``."""
    text = [*head, *(f"\n## {title}\n\n{markdown_table(table, number)}" for title, table in sections)]
    Path(path).write_text("".join(text) + footer, encoding="utf-8")
    print(f"written {path}")
