"""Generate the student copies of the course notebooks from the authored lessons.

Layout (see notebooks/README.md)::

    notebooks/01_containers_sol.ipynb    authored: explanations, demos, solutions, hidden tests
    notebooks/01_containers.ipynb        GENERATED student copy (never edit by hand)

Authored notebooks mark exercises the nbgrader way:

* ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in a cell whose metadata has
  ``nbgrader.solution = true``. In the student copy the region becomes ``# YOUR CODE HERE``
  followed by ``name = ...`` for every variable the solution assigns (or a bare ``...``);
  in markdown cells it becomes ``YOUR ANSWER HERE``.
* ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` in a grade cell
  (``nbgrader.grade = true``): the region is deleted from the student copy.
* Cells tagged ``solution`` are dropped from the student copy.

The student copy has every output cleared, and its stub and check cells are tagged
``raises-exception`` so "Run All" (and nbval) still runs it end to end.

Both kinds of notebook are written in a normalised form (stable cell ids, kernelspec python3,
no volatile metadata) so that ``--check`` is meaningful. Authored notebooks keep outputs only in
cells tagged ``nbval-check-output`` (the pinned, deterministic tables); ``--execute`` re-runs an
authored notebook and refreshes those outputs.

Usage::

    python tools/make_exercises.py                  # normalise authored notebooks, write student copies
    python tools/make_exercises.py --execute        # ... after re-running the authored notebooks
    python tools/make_exercises.py --check          # exit 1 (naming files) if anything is stale
    python tools/make_exercises.py notebooks/01_containers_sol.ipynb   # just this lesson
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SUFFIX = "_sol"

BEGIN_SOLUTION = re.compile(r"^([ \t]*)#+\s*BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^[ \t]*#+\s*BEGIN HIDDEN TESTS\s*$")
END_HIDDEN = re.compile(r"^[ \t]*#+\s*END HIDDEN TESTS\s*$")
MD_BEGIN = re.compile(r"^\s*(#+|<!--)?\s*BEGIN SOLUTION\s*(-->)?\s*$")
MD_END = re.compile(r"^\s*(#+|<!--)?\s*END SOLUTION\s*(-->)?\s*$")

CHECK_OUTPUT = "nbval-check-output"
RAISES = "raises-exception"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}
CELL_METADATA_KEYS = ("tags", "nbgrader", "editable", "deletable", "jupyter")
NBGRADER_KEYS = ("grade", "grade_id", "locked", "points", "schema_version", "solution", "task")


class ExerciseError(ValueError):
    """An authored notebook breaks the exercise conventions."""


# ---------------------------------------------------------------------------------------------
# Normalisation


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _set_tags(cell, tags) -> None:
    tags = sorted(dict.fromkeys(tags))
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)


def normalise(nb, *, keep_pinned_outputs: bool, stem: str):
    """Return a normalised deep copy of ``nb``.

    Cell ids become ``<stem>-<index>`` (stable and unique), notebook metadata is reduced to the
    kernelspec and language info, cell metadata to the keys in ``CELL_METADATA_KEYS``. Outputs
    and execution counts survive only in cells tagged ``nbval-check-output`` and only when
    ``keep_pinned_outputs`` is true (nbval compares those; a count without outputs, or outputs
    without a count, is what breaks nbval, so both go together).
    """
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", stem).strip("-")[:40]
    for i, cell in enumerate(nb.cells):
        cell.id = f"{slug}-{i:03d}"
        if isinstance(cell.source, list):
            cell.source = "".join(cell.source)
        cell.source = cell.source.rstrip()
        meta = {k: cell.metadata[k] for k in CELL_METADATA_KEYS if k in cell.get("metadata", {})}
        if "nbgrader" in meta:
            meta["nbgrader"] = {
                k: meta["nbgrader"][k] for k in NBGRADER_KEYS if k in meta["nbgrader"]
            }
        cell.metadata = nbformat.from_dict(meta)
        _set_tags(cell, _tags(cell))
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
        if cell.cell_type == "code":
            pinned = keep_pinned_outputs and CHECK_OUTPUT in _tags(cell) and cell.outputs
            if pinned and cell.execution_count is not None:
                for out in cell.outputs:
                    if "execution_count" in out:
                        out["execution_count"] = cell.execution_count
            else:
                cell.outputs = []
                cell.execution_count = None
    return nb


def dumps(nb) -> str:
    """Serialise deterministically (sorted keys, one-space indent, trailing newline)."""
    nbformat.validate(nb)
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Student copy


def _assigned_names(code: str) -> list[str]:
    """Top-level names the code assigns (in order), for the ``name = ...`` stubs."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    names: list[str] = []

    def add(target):
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                add(elt)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                add(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add(node.target)
    return list(dict.fromkeys(names))


def _replace_regions(lines, begin, end, replace, where):
    out, region, indent = [], None, ""
    for line in lines:
        if region is None:
            m = begin.match(line)
            if m:
                region, indent = [], (m.group(1) if m.groups() and m.group(1) else "")
                if begin is MD_BEGIN:
                    indent = ""
                continue
            if end.match(line):
                raise ExerciseError(f"{where}: END without BEGIN")
            out.append(line)
        elif end.match(line):
            out.extend(replace(region, indent))
            region = None
        else:
            region.append(line)
    if region is not None:
        raise ExerciseError(f"{where}: BEGIN without END")
    return out


def _code_stub(region, indent):
    names = _assigned_names("\n".join(region))
    return [f"{indent}# YOUR CODE HERE"] + (
        [f"{indent}{name} = ..." for name in names] if names else [f"{indent}..."]
    )


def student_cell(cell, where):
    """The student version of one cell, or None when the cell is dropped."""
    cell = copy.deepcopy(cell)
    tags = _tags(cell)
    if "solution" in tags:
        return None
    grader = cell.metadata.get("nbgrader", {})
    lines = cell.source.split("\n")
    has_solution = any(BEGIN_SOLUTION.match(x) or MD_BEGIN.match(x) for x in lines)
    has_hidden = any(BEGIN_HIDDEN.match(x) for x in lines)
    if has_solution and not grader.get("solution"):
        raise ExerciseError(f"{where}: solution region in a cell without nbgrader.solution = true")
    if has_hidden and not grader.get("grade"):
        raise ExerciseError(f"{where}: hidden tests in a cell without nbgrader.grade = true")
    if cell.cell_type == "markdown":
        lines = _replace_regions(lines, MD_BEGIN, MD_END, lambda r, i: ["YOUR ANSWER HERE"], where)
    elif cell.cell_type == "code":
        lines = _replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, _code_stub, where)
        lines = _replace_regions(lines, BEGIN_HIDDEN, END_HIDDEN, lambda r, i: [], where)
        if grader.get("solution") or grader.get("grade"):
            tags.append(RAISES)
        cell.outputs, cell.execution_count = [], None
    cell.source = "\n".join(lines).rstrip()
    _set_tags(cell, [t for t in tags if t != CHECK_OUTPUT])
    return cell


def student_copy(nb, stem: str):
    """Build the student notebook from a (normalised) authored notebook."""
    nb = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        new = student_cell(cell, f"{stem} cell {i}")
        if new is not None:
            cells.append(new)
    nb.cells = cells
    return normalise(nb, keep_pinned_outputs=False, stem=stem)


# ---------------------------------------------------------------------------------------------
# Files


def authored_notebooks(root: Path = NOTEBOOKS) -> list[Path]:
    return sorted(p for p in root.glob(f"*{SUFFIX}.ipynb"))


def student_path(authored: Path) -> Path:
    return authored.with_name(authored.name.removesuffix(f"{SUFFIX}.ipynb") + ".ipynb")


def execute(path: Path, timeout: int = 600):
    """Run an authored notebook top to bottom (cwd = its folder) and return it with outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def other_notebooks(root: Path = NOTEBOOKS) -> list[Path]:
    """Hand-written notebooks without exercises (e.g. 00_start.ipynb): normalised only."""
    authored = authored_notebooks(root)
    generated = {student_path(p) for p in authored}
    return sorted(p for p in root.glob("*.ipynb") if p not in generated and p not in authored)


def expected_files(paths, *, run: bool = False, others=()) -> dict[Path, str]:
    """Map every file this tool owns to the text it should contain."""
    files: dict[Path, str] = {}
    for path in others:
        nb = execute(path) if run else nbformat.read(path, as_version=4)
        files[path] = dumps(normalise(nb, keep_pinned_outputs=True, stem=path.stem))
    for path in paths:
        stem = path.name.removesuffix(".ipynb")
        nb = execute(path) if run else nbformat.read(path, as_version=4)
        authored = normalise(nb, keep_pinned_outputs=True, stem=stem)
        files[path] = dumps(authored)
        files[student_path(path)] = dumps(student_copy(authored, student_path(path).stem))
    return files


def stale_files(paths=None, others=None) -> list[str]:
    """Files whose committed text differs from what the authored notebooks generate."""
    if others is None:
        others = other_notebooks() if paths is None else ()
    paths = authored_notebooks() if paths is None else paths
    stale = []
    for path, text in expected_files(paths, others=others).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="authored *_sol.ipynb (default: all)"
    )
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    parser.add_argument("--execute", action="store_true", help="re-run authored notebooks first")
    args = parser.parse_args(argv)
    given = [p.resolve() for p in args.notebooks]
    paths = (
        [p for p in given if p.name.endswith(f"{SUFFIX}.ipynb")] if given else authored_notebooks()
    )
    others = (
        [p for p in given if not p.name.endswith(f"{SUFFIX}.ipynb")] if given else other_notebooks()
    )
    for p in others:
        if p.with_name(p.stem + SUFFIX + ".ipynb").exists():
            parser.error(f"{p.name} is generated: pass {p.stem}{SUFFIX}.ipynb instead")
    if args.check:
        stale = stale_files(None) if not given else stale_files(paths, others)
        for name in stale:
            print(f"stale: {name}  (run: python tools/make_exercises.py)", file=sys.stderr)
        if not stale:
            print(f"ok: {len(paths)} authored notebooks and their student copies are up to date")
        return 1 if stale else 0
    for path, text in expected_files(paths, run=args.execute, others=others).items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
