"""The committed student copies are exactly what tools/make_exercises.py generates."""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "make_exercises", ROOT / "tools" / "make_exercises.py"
)
mx = importlib.util.module_from_spec(_spec)
sys.modules["make_exercises"] = mx
_spec.loader.exec_module(mx)


def test_student_copies_are_up_to_date():
    stale = mx.stale_files()
    assert not stale, f"stale notebooks (run `python tools/make_exercises.py`): {stale}"


def test_every_lesson_has_exercises_and_a_student_copy():
    authored = mx.authored_notebooks()
    assert authored, "no authored *_sol.ipynb notebooks found"
    for path in authored:
        assert mx.student_path(path).exists(), path
        nb = nbformat.read(path, as_version=4)
        solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(solutions) >= 2 and len(checks) >= 2, f"{path.name}: fewer than two exercises"


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return mx.normalise(nb, keep_pinned_outputs=True, stem="t")


def _solution(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "solution": True,
        "grade": False,
        "grade_id": "ex",
        "locked": False,
        "schema_version": 3,
    }
    return cell


def _grade(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "solution": False,
        "grade": True,
        "grade_id": "ex-check",
        "locked": True,
        "points": 1,
        "schema_version": 3,
    }
    return cell


def test_solution_region_becomes_named_stubs():
    nb = _nb(
        _solution(
            "import x\n### BEGIN SOLUTION\nrs = {'a': 1}\nn, m = 1, 2\n### END SOLUTION\nprint(rs)"
        )
    )
    cell = mx.student_copy(nb, "t").cells[0]
    assert cell.source == "import x\n# YOUR CODE HERE\nrs = ...\nn = ...\nm = ...\nprint(rs)"
    assert "raises-exception" in cell.metadata.tags


def test_solution_without_assignment_becomes_ellipsis_with_indent():
    nb = _nb(_solution("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"))
    assert mx.student_copy(nb, "t").cells[0].source == "def f():\n    # YOUR CODE HERE\n    ..."


def test_hidden_tests_removed_and_check_cell_tagged():
    nb = _nb(_grade("check(x)\n### BEGIN HIDDEN TESTS\nassert x == 3\n### END HIDDEN TESTS"))
    cell = mx.student_copy(nb, "t").cells[0]
    assert cell.source == "check(x)"
    assert cell.metadata.tags == ["raises-exception"]


def test_outputs_cleared_and_markdown_answers_blanked():
    code = nbformat.v4.new_code_cell(
        "1 + 1",
        execution_count=3,
        outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)],
    )
    code.metadata["tags"] = ["nbval-check-output"]
    md = nbformat.v4.new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION")
    md.metadata["nbgrader"] = {
        "solution": True,
        "grade": False,
        "grade_id": "why",
        "locked": False,
        "schema_version": 3,
    }
    nb = _nb(code, md)
    assert nb.cells[0].outputs, "authored notebooks keep pinned outputs"
    student = mx.student_copy(nb, "t")
    assert student.cells[0].outputs == [] and student.cells[0].execution_count is None
    assert student.cells[1].source == "Why?\n\nYOUR ANSWER HERE"


def test_solution_region_requires_nbgrader_metadata():
    nb = _nb(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    with pytest.raises(mx.ExerciseError, match=r"nbgrader\.solution"):
        mx.student_copy(nb, "t")


def test_unbalanced_markers_are_errors():
    nb = _nb(_solution("### BEGIN SOLUTION\nx = 1"))
    with pytest.raises(mx.ExerciseError, match="BEGIN without END"):
        mx.student_copy(nb, "t")


def test_output_is_deterministic():
    nb = _nb(_solution("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    assert mx.dumps(mx.student_copy(nb, "t")) == mx.dumps(mx.student_copy(nb, "t"))
    assert [c.id for c in nb.cells] == ["t-000"]
