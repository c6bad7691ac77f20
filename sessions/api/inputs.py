"""What the sessions API accepts: one serializer per request body and the lookups of the ids a body names.

Serializers only parse and bound the input (a number the database could not hold is refused here, naming the
field); the services decide. Bounds that are clinical rules stay in the rule modules and the protocol.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from clinic.errors import InvalidInput
from clinic.models import Chair, Role, User
from clinic.params import validate_day
from clinic.scoping import chairs_visible_to

OPTIONAL: dict[str, Any] = {"required": False, "allow_null": True, "default": None}
MAX_DURATION_MIN = 24 * 60  # no booking holds a chair or a therapist longer than a day
FASTING_HOURS: dict[str, Any] = {"min_value": 0, "max_value": 240, "max_digits": 5, "decimal_places": 2}


def _decimal(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


def _duration(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_DURATION_MIN, **kwargs)


class DoseCalculationInput(serializers.Serializer[Any]):
    route = serializers.CharField()
    weight_kg = _decimal()
    height_cm = _decimal()
    sex_at_birth = serializers.CharField()
    mg_per_kg = _decimal(**OPTIONAL)
    dose_mg = _decimal(**OPTIONAL)
    duration_min = serializers.IntegerField(**OPTIONAL)
    bag_volume_ml = _decimal(**OPTIONAL)
    concentration_mg_per_ml = _decimal(**OPTIONAL)
    age = serializers.IntegerField(**OPTIONAL)
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
    reason = serializers.CharField(required=False, allow_blank=True, default="")


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
    mg_per_kg = _decimal(required=False, allow_null=True)
    dose_mg = _decimal(required=False, allow_null=True)
    duration_min = serializers.IntegerField(required=False, allow_null=True)
    bag_volume_ml = _decimal(required=False, allow_null=True)
    concentration_mg_per_ml = _decimal(required=False, allow_null=True)
    weight_kg = _decimal(required=False, allow_null=True)
    height_cm = _decimal(required=False, allow_null=True)
    lot_number = serializers.CharField(required=False, allow_blank=True, default="")
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
    escort_name = serializers.CharField(required=False, allow_blank=True, default="")
    instructions_given = serializers.BooleanField(required=False, default=False)
    no_driving_acknowledged = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DissociationInput(serializers.Serializer[Any]):
    items = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class RemsSubmissionInput(serializers.Serializer[Any]):
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CourseInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    template = serializers.CharField()
    start = serializers.DateField(input_formats=["%Y-%m-%d"], validators=[validate_day])
    weekdays = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    time = serializers.TimeField(input_formats=["%H:%M", "%H:%M:%S"])
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
    room = serializers.CharField(required=False, allow_blank=True, default="")


def valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """The validated input as keyword arguments of a service (400 naming each bad field otherwise)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


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
