"""`/api/v1/schema/` documents every answer (issue 7): each operation's success answer has a typed body (no free-form
object, no missing answer), and every answer that has a body has a schema, errors included (issue 12, item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.api import CareTeamMemberSerializer
from tests.conftest import World, api_as

METHODS = ("get", "put", "post", "patch", "delete")
# The sign-in endpoints answer what the others do except these, which they never give: the token endpoint takes no
# credentials (no 401) and changes no clinical record (no 409); signing out takes no body (no 400), is open to every
# signed-in user (no 403) and cannot be refused by a rule (no 409).
# A read that a rule can refuse: a report's download before the report is ready (issue 10: 409 before).
READS_THAT_CONFLICT = {"GET /api/v1/reports/{id}/download/"}
NEVER_ANSWERED = {
    "POST /api/v1/auth/token/": {"401", "409"},
    "POST /api/v1/auth/logout/": {"400", "403", "409"},
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def resolve(schema: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return body


def untyped(schema: dict[str, Any], body: dict[str, Any]) -> bool:
    """A body that says nothing of its shape: a free-form object, `{}`, or a list or page of such."""
    body = resolve(schema, body)
    if body.get("type") == "string" and body.get("format") == "binary":  # a file, e.g. a report's PDF
        return False
    if body.get("type") == "array":
        return untyped(schema, body.get("items", {}))
    results = body.get("properties", {}).get("results")
    if results is not None and results.get("type") == "array":  # a page of a list (clinic.pagination)
        return untyped(schema, results.get("items", {}))
    return not body.get("properties")


def problems(schema: dict[str, Any]) -> list[str]:
    found = []
    for name, operation in operations(schema):
        responses = operation.get("responses", {})
        success = {code: answer for code, answer in responses.items() if code.startswith("2")}
        if not success:
            found.append(f"{name}: no success answer")
        for code, answer in responses.items():
            content = answer.get("content")
            if content is None:
                if code != "204":
                    found.append(f"{name} {code}: no body documented")
                continue
            for media_type, body in content.items():
                if not body.get("schema"):
                    found.append(f"{name} {code} {media_type}: a body without a schema")
                elif code.startswith("2") and untyped(schema, body["schema"]):
                    found.append(f"{name} {code} {media_type}: an untyped body")
    return found


@pytest.mark.django_db
def test_every_answer_of_every_operation_is_documented(schema: dict[str, Any]) -> None:
    assert len(list(operations(schema))) >= 45
    assert problems(schema) == []


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["400", "401", "403"])
def test_every_operation_documents_its_errors(schema: dict[str, Any], code: str) -> None:
    missing = [name for name, operation in operations(schema) if code not in operation["responses"]]
    assert [name for name in missing if code not in NEVER_ANSWERED.get(name, set())] == []


@pytest.mark.django_db
def test_operations_about_one_record_document_404_and_changes_409(schema: dict[str, Any]) -> None:
    for name, operation in operations(schema):
        method, path = name.split(" ", 1)
        if "{" in path:
            assert "404" in operation["responses"], name
        changes = method in {"POST", "PUT", "PATCH", "DELETE"} and "409" not in NEVER_ANSWERED.get(name, set())
        assert ("409" in operation["responses"]) is (changes or name in READS_THAT_CONFLICT), name


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/dosing-sessions/", "/api/v1/courses/", "/api/v1/integration-appointments/"])
def test_bookings_document_404_for_a_patient_out_of_sight(schema: dict[str, Any], path: str) -> None:
    assert "404" in schema["paths"][path]["post"]["responses"]


def test_the_check_finds_untyped_and_missing_answers() -> None:
    free_form = {"type": "object", "additionalProperties": {}}
    broken = {
        "paths": {
            "/a/": {"get": {"responses": {"200": {"content": {"application/json": {"schema": free_form}}}}}},
            "/b/": {"post": {"responses": {"400": {"content": {"application/json": {"schema": {}}}}}}},
            "/c/": {"delete": {"responses": {"204": {"description": "No response body"}}}},
            "/d/": {"get": {"responses": {"200": {"description": "nothing"}}}},
            "/f/": {"get": {"responses": {"200": {"content": {"application/pdf": {"schema": {"type": "string"}}}}}}},
            "/e/": {
                "get": {
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/P"}}}}
                    }
                }
            },
        },
        "components": {
            "schemas": {"P": {"type": "object", "properties": {"results": {"type": "array", "items": free_form}}}}
        },
    }
    assert problems(broken) == [
        "GET /a/ 200 application/json: an untyped body",
        "POST /b/: no success answer",
        "POST /b/ 400 application/json: a body without a schema",
        "GET /d/ 200: no body documented",
        "GET /f/ 200 application/pdf: an untyped body",
        "GET /e/ 200 application/json: an untyped body",
    ]


@pytest.mark.django_db
def test_options_names_the_endpoint_without_building_forms(world: World) -> None:
    """OPTIONS answers from every viewset, also one whose actions each name their own serializer (DRF would build
    the forms from `serializer_class` and fail without one)."""
    from clinic.api import CareTeamViewSet

    CareTeamViewSet.serializer_class = None  # type: ignore[assignment]
    try:
        response = api_as(world.nurse1).options(f"/api/v1/patients/{world.patient_a.pk}/care-team/")
    finally:
        CareTeamViewSet.serializer_class = CareTeamMemberSerializer
    assert response.status_code == 200
    assert set(response.json()) == {"name", "description", "renders", "parses"}


@pytest.mark.django_db
def test_a_url_under_the_api_that_matches_nothing_answers_json(world: World) -> None:
    for method in ("get", "post", "delete"):
        response = getattr(api_as(world.nurse1), method)("/api/v1/courses/0.5/complete/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No such endpoint."}
