"""The query parameters of the sessions API's lists, allow-listed and documented: `date` (a day at each of the
requester's sites, YYYY-MM-DD), `status`, and the ids a list filters on (`chair`, `patient`, `therapist`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request

from clinic.errors import InvalidInput
from clinic.models import Patient, Site, User
from clinic.params import parse_day
from clinic.scoping import can_view_clinical, sites_of
from sessions import queries

DATE_PARAMETER = OpenApiParameter(
    "date", OpenApiTypes.DATE, description="Only those starting on this day at their site (YYYY-MM-DD)."
)


def id_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, description=f"Only those of this {name} (its id).")


def list_schema[F: Callable[..., Any]](
    operation_id: str, answer: type[serializers.Serializer[Any]], *ids: str, statuses: Any = None
) -> Callable[[F], F]:
    """The documentation of a list: its answer, and the query parameters ListFilters reads."""
    parameters = [id_parameter(name) for name in ids]
    if statuses is not None:
        status_values = [value for value, _label in statuses]
        parameters = [
            DATE_PARAMETER,
            *parameters,
            OpenApiParameter("status", str, enum=status_values, description="Only this status."),
        ]
    return extend_schema(operation_id=operation_id, parameters=parameters, responses=answer(many=True))


def shows_clinical(user: User, patient: Patient) -> bool:
    """Staff who may see clinical data get the clinical view; front desk and patients get the schedule."""
    return can_view_clinical(user, patient) and not user.is_patient_user


class ListFilters:
    """The allow-listed query parameters of one list request; a malformed value is a 400 naming the parameter."""

    def __init__(self, request: Request) -> None:
        self.params = request.query_params
        self.user = request.user

    def integer(self, name: str) -> int | None:
        raw = self.params.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput({name: "Give a number."}) from None

    def date_q(self, site_field: str) -> Q | None:
        day = parse_day(self.params.get("date"))
        if day is None:
            return None
        # The day starts at a different instant in each time zone: the sites of one window share one condition, and
        # the span of all the windows lets the index on `start` find the day's rows whatever the number of sites.
        windows: dict[tuple[dt.datetime, dt.datetime], list[Site]] = defaultdict(list)
        for site in sites_of(self.user):
            windows[queries.day_range(site, day)].append(site)
        if not windows:
            return Q(pk__in=[])
        q = Q(pk__in=[])
        for (start, end), sites in windows.items():
            q |= Q(**{f"{site_field}__in": sites}, start__gte=start, start__lt=end)
        return q & Q(start__gte=min(start for start, _ in windows), start__lt=max(end for _, end in windows))

    def status(self, choices: Any) -> str | None:
        raw = self.params.get("status")
        if not raw:
            return None
        allowed = [value for value, _label in choices]
        if raw not in allowed:
            raise InvalidInput({"status": f"Choose one of {', '.join(allowed)}."})
        return raw

    def apply(self, qs: QuerySet[Any], site_field: str, statuses: Any, **fields: str) -> QuerySet[Any]:
        """`qs` filtered by `date` (at the site in `site_field`), `status` and each of `fields` (parameter: lookup),
        in the order of their start."""
        date_q = self.date_q(site_field)
        if date_q is not None:
            qs = qs.filter(date_q)
        for param, lookup in fields.items():
            value = self.integer(param)
            if value is not None:
                qs = qs.filter(**{lookup: value})
        status = self.status(statuses)
        if status is not None:
            qs = qs.filter(status=status)
        return qs.order_by("start", "id")
