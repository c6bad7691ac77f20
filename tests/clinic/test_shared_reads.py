"""What several panels of a page ask for is read once in a request that only reads (clinic.shared_reads)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.shared_reads import per_request, shared_reads
from tests.conftest import World

calls: list[tuple[object, ...]] = []


@per_request
def read(*args: object, **kwargs: object) -> list[object]:
    calls.append((*args, *kwargs.values()))
    if args and args[0] == "broken":
        raise LookupError("not there")
    return [len(calls)]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    calls.clear()


def test_outside_a_read_only_request_every_call_reads() -> None:
    assert read(1) == [1]
    assert read(1) == [2]


def test_inside_one_the_same_arguments_read_once() -> None:
    with shared_reads():
        assert read(1) == read(1) == [1]
        assert read(2) == [2]
        assert read(1, kind="x") == [3]
        assert read(1, kind="x") == [3]
    assert read(1) == [4]  # the memo ends with the request


@pytest.mark.django_db
def test_records_count_by_model_and_id(world: World) -> None:
    with shared_reads():
        first = read(world.patient_a)
        again = read(type(world.patient_a).objects.get(pk=world.patient_a.pk))
        other = read(world.patient_b)
    assert first == again != other
    assert len(calls) == 2


def test_an_error_is_not_remembered_and_an_unhashable_argument_reads_every_time() -> None:
    with shared_reads():
        for _ in range(2):
            with pytest.raises(LookupError):
                read("broken")
        read([1])
        read([1])
    assert len(calls) == 4


def test_a_list_answer_is_a_copy() -> None:
    with shared_reads():
        read(1).append("changed by a caller")
        assert read(1) == [1]


def protocol_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "clinic_protocolversion"' in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_a_page_reads_the_protocol_its_panels_share_once_and_a_post_reads_it_each_time(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/staff/patients/{world.patient_a.pk}/").status_code == 200
    assert protocol_reads(queries) == 1
    from clinic.models import Site
    from clinic.services import current_protocol
    from clinic.shared_reads import _memo

    assert _memo.get() is None  # nothing is remembered after the request, nor outside one
    site = Site.objects.get(pk=world.patient_a.site_id)
    with CaptureQueriesContext(connection) as queries:
        current_protocol(site)
        current_protocol(site)
    assert protocol_reads(queries) == 2
