"""``python -m course_lib.data``: prepare the MNIST cache (see :func:`course_lib.data.mnist.main`)."""
import sys

from .mnist import main

sys.exit(main())
