from __future__ import annotations

import pytest
from django.test import Client

from clinic import panels
from tests.conftest import World


@pytest.fixture
def demo_panel() -> object:
    panel = panels.Panel(
        key="test-panel",
        audience="staff",
        template="partials/panel_card.html",
        build=lambda request, patient: {"title": f"Panel for {patient.given_name}", "text": "from a test"},
    )
    panels.register(panel)
    yield panel
    panels._panels.pop(("staff", "test-panel"))


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_panel")
def test_clinical_panels_show_to_clinicians_and_not_to_front_desk(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    assert "Panel for Alpha" in client.get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    client.force_login(world.front_desk1)
    assert "Panel for Alpha" not in client.get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
