"""factory_boy factories: synthetic, obviously fake people only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from clinic.models import CareTeamMember, Chair, Patient, Role, Site, User

TEST_PASSWORD = "test-only-password-123"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Test Site {n}")
    code = factory.Sequence(lambda n: f"TS{n}")
    time_zone = "America/New_York"


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chair

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Chair {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    site = factory.SubFactory(SiteFactory)
    mrn = factory.Sequence(lambda n: f"T-{n:06d}")
    given_name = factory.Sequence(lambda n: f"Sample{n}")
    family_name = "Testperson"
    date_of_birth = dt.date(1980, 5, 17)
    sex_at_birth = "female"
    email = factory.Sequence(lambda n: f"patient{n}@example.invalid")
    height_cm = Decimal("170.0")
    weight_kg = Decimal("70.0")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    role = Role.NURSE
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def sites(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.sites.set(extracted)
        if create:
            self.save()


def staff(role: str, *sites: Site, **kwargs: Any) -> User:
    return UserFactory(role=role, sites=list(sites), **kwargs)


def patient_user(patient: Patient, **kwargs: Any) -> User:
    return UserFactory(role=Role.PATIENT, patient=patient, **kwargs)


def on_care_team(patient: Patient, user: User) -> CareTeamMember:
    return CareTeamMember.objects.create(patient=patient, user=user, role=user.role)
