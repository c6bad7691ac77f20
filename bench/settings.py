"""Settings of the benchmark's gunicorn and workers: the product's production settings, plus the two floor views
(bench/urls.py) and a no-op task (bench/tasks.py). Never used outside `make bench`."""

from clinic.settings import *  # noqa: F403
from clinic.settings import INSTALLED_APPS

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # its templates (bench/templates/) and its no-op task
# Staff sign in with a second step when DEBUG is off (the security work); the benchmark's users are signed in by
# the harness instead, and the second step is not what is measured. Ignored where the setting does not exist yet.
MFA_REQUIRED_FOR_STAFF = False
