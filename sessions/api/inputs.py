"""What the sessions API accepts: one serializer per request body and the lookups of the ids a body names.

Serializers only parse and bound the input (a number the database could not hold is refused here, naming the
field); the services decide. Bounds that are clinical rules stay in the rule modules and the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from clinic.domain import require
from clinic.errors import InvalidInput
from clinic.models import Chair, Patient, Role, User
from clinic.params import validate_day
from clinic.scoping import chairs_visible_to, get_patient_for
from intake.services import plausible_bounds
from sessions.api.serializers import WallClockTime

OPTIONAL: dict[str, Any] = {"required": False, "allow_null": True, "default": None}
MAX_DURATION_MIN = 24 * 60  # no booking holds a chair or a therapist longer than a day
FASTING_HOURS: dict[str, Any] = {"min_value": 0, "max_value": 240, "max_digits": 5, "decimal_places": 2}
# What a dose request can hold: the protocol's limits (sessions.dosing) decide what may be given; these only keep
# the numbers, and what the calculation derives from them (a pump rate, a draw volume), inside what a dose record
# stores. Weight and height take intake's plausible ranges.
DOSE_INPUT_LIMITS: dict[str, Mapping[str, Any]] = {
    "weight_kg": plausible_bounds("weight_kg"),
    "height_cm": plausible_bounds("height_cm"),
    "mg_per_kg": {"max_value": 100},
    "dose_mg": {"max_value": 10_000},
    "bag_volume_ml": {"max_value": 10_000},
    "concentration_mg_per_ml": {"min_value": Decimal("0.1"), "max_value": 1_000},
}
MAX_DIGITS = 9  # precision enough for any dose input, and far from what Decimal arithmetic cannot hold


def _dose_input(name: str, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=None, **DOSE_INPUT_LIMITS[name], **kwargs)


def _reason() -> serializers.CharField:
    # A reason ends up in a status change (500 characters) and, for a stopped course, its stop reason (300).
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


def _duration(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_DURATION_MIN, **kwargs)


class DoseCalculationInput(serializers.Serializer[Any]):
    route = serializers.CharField()
    weight_kg = _dose_input("weight_kg")
    height_cm = _dose_input("height_cm")
    sex_at_birth = serializers.CharField()
    mg_per_kg = _dose_input("mg_per_kg", **OPTIONAL)
    dose_mg = _dose_input("dose_mg", **OPTIONAL)
    duration_min = _duration(**OPTIONAL)
    bag_volume_ml = _dose_input("bag_volume_ml", **OPTIONAL)
    concentration_mg_per_ml = _dose_input("concentration_mg_per_ml", **OPTIONAL)
    age = serializers.IntegerField(min_value=0, max_value=150, **OPTIONAL)
    first_dose = serializers.BooleanField(required=False, default=False)


class BookingInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    chair = serializers.IntegerField()
    start = serializers.DateTimeField()
    route = serializers.CharField(required=False, allow_blank=True)
    supervising_clinician = serializers.IntegerField(**OPTIONAL)
    course = serializers.IntegerField(**OPTIONAL)
    duration_min = _duration(**OPTIONAL)


class ReasonInput(serializers.Serializer[Any]):
    reason = _reason()


class EndDosingInput(serializers.Serializer[Any]):
    """Ending dosing before its planned duration (an early stop) needs `stop_reason`; `actual_dose_mg` is the dose
    given when it was not the infusion rate times the minutes it ran (never more than the planned dose)."""

    stop_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    actual_dose_mg = _dose_input("dose_mg", **OPTIONAL)


class CheckInInput(serializers.Serializer[Any]):
    fasting_solids_hours = serializers.DecimalField(**FASTING_HOURS, **OPTIONAL)
    fasting_clear_liquids_hours = serializers.DecimalField(**FASTING_HOURS, **OPTIONAL)
    escort_confirmed = serializers.BooleanField()
    escort_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)


class VitalsInput(serializers.Serializer[Any]):
    phase = serializers.CharField(required=False, allow_blank=True)
    systolic = serializers.IntegerField()
    diastolic = serializers.IntegerField()
    heart_rate = serializers.IntegerField()
    spo2 = serializers.IntegerField()
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    recorded_at = serializers.DateTimeField(required=False, allow_null=True)


class StartInput(serializers.Serializer[Any]):
    mg_per_kg = _dose_input("mg_per_kg", required=False, allow_null=True)
    dose_mg = _dose_input("dose_mg", required=False, allow_null=True)
    duration_min = _duration(required=False, allow_null=True)
    bag_volume_ml = _dose_input("bag_volume_ml", required=False, allow_null=True)
    concentration_mg_per_ml = _dose_input("concentration_mg_per_ml", required=False, allow_null=True)
    weight_kg = _dose_input("weight_kg", required=False, allow_null=True)
    height_cm = _dose_input("height_cm", required=False, allow_null=True)
    lot_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    review_reason = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    escort_confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)


class AdverseEventInput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    severity = serializers.CharField()
    action_taken = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)


class DischargeInput(serializers.Serializer[Any]):
    aldrete = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    escort_confirmed = serializers.BooleanField()
    escort_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    instructions_given = serializers.BooleanField(required=False, default=False)
    no_driving_acknowledged = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DissociationInput(serializers.Serializer[Any]):
    items = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class RemsSubmissionInput(serializers.Serializer[Any]):
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CourseInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    template = serializers.CharField()
    start = serializers.DateField(input_formats=["%Y-%m-%d"], validators=[validate_day])
    weekdays = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    time = WallClockTime()
    chair = serializers.IntegerField()
    supervising_clinician = serializers.IntegerField(**OPTIONAL)
    duration_min = _duration(**OPTIONAL)


class AppointmentInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    therapist = serializers.IntegerField()
    start = serializers.DateTimeField()
    duration_min = _duration()
    dosing_session = serializers.IntegerField(**OPTIONAL)
    chair = serializers.IntegerField(**OPTIONAL)
    room = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)


def valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """The validated input as keyword arguments of a service (400 naming each bad field otherwise)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def patient_to_book(user: User, pk: int, *, allowed: bool, refusal: str) -> Patient:
    """The patient a booking names: 404 when out of sight (as in a path), then 403 unless the role may book."""
    patient = get_patient_for(user, pk)
    require(allowed, refusal)
    return patient


def chair_for(user: User, pk: int, field: str = "chair") -> Chair:
    chair = chairs_visible_to(user).filter(pk=pk).first()
    if chair is None:
        raise InvalidInput({field: "No such chair at your sites."})
    return chair


def optional_chair(user: User, pk: int | None) -> Chair | None:
    return None if pk is None else chair_for(user, pk)


def staff_member(pk: int, field: str) -> User:
    member = User.objects.filter(pk=pk).exclude(role=Role.PATIENT).first()
    if member is None:
        raise InvalidInput({field: "No such staff member."})
    return member


def optional_staff_member(pk: int | None, field: str) -> User | None:
    return None if pk is None else staff_member(pk, field)
