"""``python -m course_lib.classroom release|grade ...``: see :mod:`course_lib.classroom.grading`."""
import sys

from .grading import main

if __name__ == "__main__":
    sys.exit(main())
