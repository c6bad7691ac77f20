"""The web tier is stateless: two gunicorn servers on one database, and whoever signs in on one is signed in on the
other (sign-in sessions live in the database). The reports and reminders parts of the two-server test come with the
reports work (issue 13, item 5)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.deploy.cluster import Browser, cluster
from tests.factories import PatientFactory, patient_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "two-servers-test-password"


def test_a_patient_signed_in_on_one_server_is_signed_in_on_the_other(tmp_path: Path) -> None:
    user = patient_user(PatientFactory())
    user.set_password(PASSWORD)
    user.save()
    with cluster(tmp_path, web=2) as machines:
        first, second = machines.web_ports
        browser = Browser()
        login = browser.request(first, "GET", "/accounts/login/")
        assert login.status == 200
        token = browser.cookies["csrftoken"]
        signed_in = browser.request(
            first,
            "POST",
            "/accounts/login/",
            {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert signed_in.status == 302, "the sign-in on the first server was refused"
        assert browser.request(second, "GET", "/portal/").status == 200
        stranger = Browser()
        refused = stranger.request(second, "GET", "/portal/")
        assert refused.status == 302
        assert re.search(r"/accounts/login/", refused.getheader("Location", ""))


def test_the_workers_of_the_cluster_share_one_broker(tmp_path: Path) -> None:
    with cluster(tmp_path, web=1, workers=2) as machines:
        client = machines.client()
        try:
            results = [client.send_task("clinic.tasks.ping", args=[f"ping {n}"]) for n in range(4)]
            answers = [result.get(timeout=90) for result in results]
        finally:
            client.close()
    assert [a["echo"] for a in answers] == [f"ping {n}" for n in range(4)]
    assert os.getpid() not in {a["pid"] for a in answers}
