"""Lists count with a bound (issue 13): the patients API and the staff patient list never count the whole table.
The bounds are made small here (3 rows for the API, 2 for the staff pager) so that five patients pass them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic import pagination
from clinic.models import Patient, Role
from clinic.views import StaffHomeView
from tests.conftest import api_as
from tests.factories import PatientFactory, SiteFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "STAFF_COUNT_LIMIT", 2)
    site = SiteFactory()
    return sorted(PatientFactory(site=site, family_name=f"Testperson-{n}").pk for n in range(5))


def test_the_api_counts_up_to_its_bound_past_the_offset_and_next_leads_to_every_row(five: list[int]) -> None:
    nurse = staff(Role.NURSE, *{p.site for p in Patient.objects.filter(pk__in=five)})
    api = api_as(nurse)
    with CaptureQueriesContext(connection) as captured:
        first = api.get("/api/v1/patients/?limit=2").json()
    assert first["count"] == 3, "counted past the bound"
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert counts, "no count"
    assert all("LIMIT 3" in sql for sql in counts), counts
    assert api.get("/api/v1/patients/?limit=2&offset=2").json()["count"] == 5  # 2 + 3 covers them all: exact
    seen, url = [], "/api/v1/patients/?limit=2"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == five


def test_the_staff_list_says_when_it_stopped_counting(five: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StaffHomeView, "page_size", 1)
    nurse = staff(Role.NURSE, *{p.site for p in Patient.objects.filter(pk__in=five)})
    client = Client()
    client.force_login(nurse)
    page = client.get("/staff/?q=Testperson", secure=True).content.decode()
    assert "Page 1 of 2 or more" in page
    monkeypatch.setattr(pagination, "STAFF_COUNT_LIMIT", 10)
    page = client.get("/staff/?q=Testperson", secure=True).content.decode()
    assert "Page 1 of 5</li>" in page


def test_the_bounded_paginator_counts_a_list_as_it_is() -> None:
    paginator = pagination.BoundedPaginator(list(range(7)), 2, bound=4)
    assert (paginator.count, paginator.num_pages, paginator.counted_all) == (4, 2, False)
    assert pagination.BoundedPaginator(list(range(3)), 2, bound=4).counted_all
