"""nbgrader for a student's server on the class hub (JUPYTER_CONFIG_PATH, set by
jupyterhub_config.py): where the exchange is. The Assignments tab uses it to list,
fetch and submit assignments and to fetch feedback; the course id comes with each
assignment (the instructor's `why-init`)."""
import os

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("WHY_INIT_EXCHANGE", "/srv/why-init/exchange")
