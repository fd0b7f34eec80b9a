"""nbgrader for an instructor's server on the class hub (JUPYTER_CONFIG_PATH, set by
jupyterhub_config.py): the exchange, the course id, and the course directory
~/why-init-course (source/, release/, submitted/, autograded/, feedback/, gradebook.db),
so that `nbgrader release_assignment a1_initializers` and the formgrader work from any
folder."""
import os

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("WHY_INIT_EXCHANGE", "/srv/why-init/exchange")
c.CourseDirectory.course_id = "why-init"
c.CourseDirectory.root = os.path.join(os.path.expanduser("~"), "why-init-course")
