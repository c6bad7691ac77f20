"""The portal's tests use the sessions tests' clinic (a New York site, its staff and a cleared patient) and clock."""

from tests.sessions.conftest import clinic, clock  # noqa: F401 - fixtures
