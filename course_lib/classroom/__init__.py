"""The instructors' tools: release student versions of the graded assignments, and grade them.

=====================  ==============================================================
module                 its one job
=====================  ==============================================================
``assignments``        the student version of an instructor notebook; ``release``
``grading``            grade submissions: restore the instructor's cells, run, score,
                       the score table; ``--jobs`` in parallel
``sandbox``            where a kernel runs: a private folder, bubblewrap, an
                       unprivileged user, resource limits
``launch``             the few lines that set the limits and drop privileges inside
                       the sandbox, just before the kernel starts (standard library only)
``kernel_guard``       the code the grader puts into each kernel before the student's:
                       restores what a student cell can subvert, proves each test ran
``feedback``           one HTML feedback file per student
=====================  ==============================================================

Command line, from the repository root::

    python -m course_lib.classroom release [NAME ...] [--force] [--check]
    python -m course_lib.classroom grade NAME SUBMISSION ... --output grades.csv [--jobs 2] [--feedback-dir DIR]

This package uses only the standard library, nbformat and nbclient: nothing of the
course, so that the notebooks in ``assignments/`` can change freely (the grader reads
only their ``metadata.nbgrader``: ``grade_id``, ``points`` and the cell roles).
"""
