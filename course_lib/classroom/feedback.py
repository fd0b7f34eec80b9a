"""One HTML feedback file per student, like nbgrader's ``generate_feedback``, without the hidden tests.

The page lists each test (its ``grade_id``), the points earned out of its points,
and why it failed: the exception's name and message (an ``assert``'s message is what
the instructor wrote after the comma), or the grader's reason (a timeout, a test
that did not reach its end). It never shows a test's source or a traceback, which
would quote the hidden tests. The signs of tampering the grader noticed are listed
too, so that a student knows what the instructor will see.
"""
from __future__ import annotations

import html
from pathlib import Path

__all__ = ["feedback_html", "write_feedback"]

_STYLE = """body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;
vertical-align:top}td.pts{white-space:nowrap}tr.passed td.pts{color:#176317}tr.failed td.pts{color:#a11}
.note{background:#fff6e0;padding:.6rem;border-left:4px solid #e0a800}"""


def feedback_html(grade) -> str:
    """The feedback page of one :class:`~.grading.Grade` (a complete HTML document)."""
    e = html.escape
    rows = []
    for test in grade.tests:
        passed = test.status == "passed"
        why = "" if passed else (test.status if not test.message else f"{test.status}: {test.message}")
        rows.append(f'<tr class="{"passed" if passed else "failed"}"><td><code>{e(test.grade_id)}</code></td>'
                    f'<td class="pts">{test.points:g} / {test.max_points:g}</td><td>{e(why)}</td></tr>')
    notes = []
    if grade.note:
        notes.append(f'<p class="note">{e(grade.note)}</p>')
    if grade.tampering:
        items = "".join(f"<li>{e(t)}</li>" for t in grade.tampering)
        notes.append(f'<div class="note"><p>The grader noticed (your instructor sees this list too):</p>'
                     f"<ul>{items}</ul></div>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(grade.assignment)}: {e(grade.student)}</title><style>{_STYLE}</style></head><body>\n"
            f"<h1>{e(grade.assignment)}</h1>\n<p>Student: <b>{e(grade.student)}</b>. "
            f"Score: <b>{grade.score:g} / {grade.max_score:g}</b>.</p>\n"
            f"<table><thead><tr><th>test</th><th>points</th><th>why it failed</th></tr></thead><tbody>\n"
            + "\n".join(rows) + "\n</tbody></table>\n" + "\n".join(notes) + "\n</body></html>\n")


def write_feedback(grade, path):
    """Write :func:`feedback_html` to ``path`` (its folders are made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(feedback_html(grade), encoding="utf-8")
    return path
