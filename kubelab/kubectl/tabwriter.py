"""Go's ``text/tabwriter``, cell for cell, so kubectl's columns line up byte for byte.

Text is split into lines and tab-terminated cells. A *column block* is a run of
consecutive lines that all have a cell in that column; its width is the widest
cell plus ``padding`` (at least ``minwidth``). The text after a line's last tab
is not part of any column and is never padded, so lines carry no trailing spaces
unless a padded cell is followed by an empty last cell, exactly as in kubectl.

``kubectl get`` uses ``minwidth=6, padding=3``; ``kubectl describe`` uses
``minwidth=0, padding=2``.

Examples
--------
>>> print(tabulate("NAME\\tAGE\\nweb-1\\t5s\\n", minwidth=6, padding=3), end="")
NAME    AGE
web-1   5s
>>> tabulate("Name:\\tweb\\nNamespace:\\tdefault\\nLabels:\\n  app:\\tweb\\n", minwidth=0, padding=2)
'Name:       web\\nNamespace:  default\\nLabels:\\n  app:  web\\n'
"""

from __future__ import annotations

__all__ = ["tabulate"]


def tabulate(text: str, *, minwidth: int = 6, padding: int = 3) -> str:
    """Format ``text`` (tab-separated cells, newline-terminated lines) like ``tabwriter``."""
    ends_with_newline = text.endswith("\n")
    raw_lines = text.split("\n")
    if ends_with_newline:
        raw_lines.pop()
    lines = [line.split("\t") for line in raw_lines]
    out: list[str] = []
    _format(lines, 0, len(lines), [], minwidth, padding, out)
    result = "\n".join(out)
    return result + "\n" if ends_with_newline else result


def _format(lines, line0, line1, widths, minwidth, padding, out) -> None:
    # A transcription of tabwriter.(*Writer).format: find column blocks, recurse to the right.
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, line0, this, widths, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        _format(lines, line0, this, [*widths, width], minwidth, padding, out)
        line0 = this
    _write_lines(lines, line0, line1, widths, out)


def _write_lines(lines, line0, line1, widths, out) -> None:
    for cells in lines[line0:line1]:
        parts = []
        for j, cell in enumerate(cells):
            if j < len(widths):
                parts.append(cell + " " * (widths[j] - len(cell)))
            else:
                parts.append(cell)
        out.append("".join(parts))
