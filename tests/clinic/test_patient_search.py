"""The shared patient search: the same matching everywhere, scoped, and honest about what it leaves out."""

from __future__ import annotations

import pytest

from clinic.patient_search import pick_patients
from tests.conftest import World
from tests.factories import PatientFactory


@pytest.mark.django_db
def test_the_picker_shows_at_most_its_limit_and_says_when_more_matched(world: World) -> None:
    for n in range(4):
        PatientFactory(site=world.site1, family_name=f"Pickperson-{n}")
    shown, more = pick_patients(world.nurse1, "pickperson", limit=3)
    assert (len(shown), more) == (3, True)
    shown, more = pick_patients(world.nurse1, "pickperson", limit=4)
    assert (len(shown), more) == (4, False)


@pytest.mark.django_db
def test_the_picker_matches_name_or_mrn_among_visible_active_patients_only(world: World) -> None:
    PatientFactory(site=world.site2, family_name="Pickperson-elsewhere")
    PatientFactory(site=world.site1, family_name="Pickperson-gone", is_active=False)
    here = PatientFactory(site=world.site1, family_name="Pickperson-here", mrn="NORTH-000777")
    assert pick_patients(world.nurse1, "pickperson").patients == [here]
    assert pick_patients(world.nurse1, "000777").patients == [here]
    assert pick_patients(world.nurse1, "   ") == ([], False)
    assert pick_patients(world.therapist_unassigned, "pickperson") == ([], False)
