"""List filters that are typed into rather than picked from a list: a patient by MRN or name, a range of dates.

Django's admin has only link-list filters, which do not scale to thousands of patients or to arbitrary dates.
These are small GET forms in the filter sidebar that keep the other filters, the search and the ordering; a value
that cannot be used is explained beside its box and filters nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from clinic.scoping import patients_visible_to

EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)


def without_nul(value: str) -> str:
    """PostgreSQL refuses NUL characters in text; nobody types one on purpose."""
    return value.replace("\x00", "").strip()


@dataclass(frozen=True)
class Box:
    name: str
    label: str
    kind: str = "search"


class InputFilter(admin.ListFilter):
    template = "admin/input_filter.html"
    boxes: tuple[Box, ...] = ()

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        for box in self.boxes:
            if box.name in params:
                raw = params.pop(box.name)
                value = without_nul(raw[-1] if isinstance(raw, list) else raw)
                self.used_parameters[box.name] = value
                if value:
                    self.values[box.name] = value
        self.clean()

    def clean(self) -> None:
        """Check `values`; put a sentence in `errors[name]` for a value that cannot be used."""

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [box.name for box in self.boxes]

    def choices(self, changelist: Any) -> Any:
        own = {box.name for box in self.boxes}
        yield {
            "boxes": [
                {"box": box, "value": self.values.get(box.name, ""), "error": self.errors.get(box.name, "")}
                for box in self.boxes
            ],
            "hidden": [(k, v) for k, values in changelist.filter_params.items() if k not in own for v in values],
            "active": bool(self.values),
            "clear": changelist.get_query_string(remove=list(own)),
        }

    def usable(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k not in self.errors}


class PatientSearchFilter(InputFilter):
    """Entries about one patient, found by MRN, name or record number among the patients the viewer may see."""

    title = "patient"
    patient_path = "patient"
    boxes = (Box("patient", "MRN, name or record number"),)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.usable().get("patient")
        if not value:
            return queryset
        visible = patients_visible_to(request.user)
        if value.isdigit():
            matching = visible.filter(pk=int(value)) if len(value) <= 12 else visible.none()
        else:
            matching = visible.filter(
                Q(mrn__iexact=value) | Q(family_name__icontains=value) | Q(given_name__icontains=value)
            )
        return queryset.filter(**{f"{self.patient_path}__in": matching.values("pk")})


class DateRangeFilter(InputFilter):
    """Entries from one day to another, both included, in the time zone the admin shows times in."""

    title = "date"
    field_path = "occurred_at"
    boxes = (Box("occurred_from", "From", "date"), Box("occurred_to", "To", "date"))

    def clean(self) -> None:
        self.days: dict[str, dt.date] = {}
        for name, value in self.values.items():
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                self.errors[name] = "Enter a date such as 2026-03-01."
                continue
            if not EARLIEST <= day <= LATEST:
                self.errors[name] = f"Enter a date between {EARLIEST.year} and {LATEST.year}."
            else:
                self.days[name] = day
        start, end = self.days.get("occurred_from"), self.days.get("occurred_to")
        if start and end and end < start:
            self.errors["occurred_to"] = "The end date is before the start date."
            del self.days["occurred_to"]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        zone = timezone.get_current_timezone()
        bounds: dict[str, dt.datetime] = {}
        if "occurred_from" in self.days:
            bounds[f"{self.field_path}__gte"] = dt.datetime.combine(self.days["occurred_from"], dt.time.min, zone)
        if "occurred_to" in self.days:
            next_day = self.days["occurred_to"] + dt.timedelta(days=1)
            bounds[f"{self.field_path}__lt"] = dt.datetime.combine(next_day, dt.time.min, zone)
        return queryset.filter(**bounds)
