"""The protocol in the admin: a structured form starting from the active version, the differences confirmed
before anything is saved, a new version published through the service, refusals beside the setting."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clinic.models import AuditEvent, ProtocolVersion, Role
from clinic.services import active_protocol_version, use_protocol
from tests.conftest import World
from tests.factories import staff

pytestmark = pytest.mark.django_db
ADD = "/admin/clinic/protocolversion/add/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _typed(form, **changes: Any) -> dict[str, Any]:
    """What the browser sends for `form` as shown, with `changes` typed in (dots written as __)."""
    data = {name: value for name in form.fields if (value := form.initial.get(name, "")) is not False}
    data.update({k.replace("__", "."): v for k, v in changes.items()})
    return data


def _review(client: Client, world: World, **changes: Any):
    form = client.get(ADD, {"site": world.site1.pk}).context["form"]
    start = client.get(ADD, {"site": world.site1.pk}).context["start_version"]
    data = {**_typed(form, **changes), "site": world.site1.pk, "from": start.pk if start else "",
            "change_summary": "Renew screenings sooner", "activate": "on", "_review": "Review the changes"}  # fmt: skip
    return data, client.post(ADD, data)


def test_the_form_starts_from_the_active_version_with_every_setting_in_words(world: World) -> None:
    version = active_protocol_version(world.site1)
    page = _client(world.admin1).get(ADD, {"site": world.site1.pk})
    assert page.status_code == 200
    assert page.context["start_version"] == version
    text = page.content.decode()
    expected = ("Intake screening (clinical protocol, section 1)", "A screening stays valid for",
                "Routes: IV infusion", "mg/kg", "Course templates: add one", "A whole number, 0 or more.")  # fmt: skip
    for words in expected:
        assert words in text, words
    assert 'name="screening.validity_days"' in text


def test_a_clinic_admin_with_one_site_goes_straight_to_the_form(world: World) -> None:
    page = _client(world.admin1).get(ADD)
    assert page.context["site"] == world.site1


def test_reviewing_shows_the_differences_and_saves_nothing(world: World) -> None:
    active_protocol_version(world.site1)
    _data, response = _review(_client(world.admin1), world, screening__validity_days="120")
    assert response.status_code == 200
    [change] = response.context["changes"]
    assert (change.label, change.before, change.after) == ("A screening stays valid for", "180 days", "120 days")
    assert "Publish" in response.content.decode()
    assert ProtocolVersion.objects.filter(site=world.site1).count() == 1


def test_publishing_makes_a_new_active_version_and_keeps_the_used_one(world: World) -> None:
    old, _ = use_protocol(world.site1)
    client = _client(world.admin1)
    data, review = _review(client, world, screening__validity_days="120")
    publish = {**data, "base": review.context["base"], "_publish": "Publish"}
    publish.pop("_review")
    response = client.post(ADD, publish)
    assert response.status_code == 302, response.content.decode()[:3000]
    new = active_protocol_version(world.site1)
    assert (new.number, new.protocol().screening.validity_days) == (old.number + 1, 120)
    assert response.url == f"/admin/clinic/protocolversion/{new.pk}/change/"
    old.refresh_from_db()
    assert (old.is_active, old.protocol().screening.validity_days) == (False, 180)
    event = AuditEvent.objects.get(action="clinic.protocolversion.create", object_id=str(new.pk))
    assert event.actor == world.admin1
    page = client.get(response.url).content.decode()
    assert "Version 2 of the protocol of North Test Site is now the active protocol." in page
    assert "120 days" in page  # the version page: its settings and its changes in words


def test_a_refused_value_comes_back_beside_the_setting_with_everything_typed(world: World) -> None:
    active_protocol_version(world.site1)
    _data, response = _review(
        _client(world.admin1), world, screening__validity_days="-1", monitoring__gate_defer__spo2_below="93"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["screening.validity_days"] == ["Enter 0 or more."]
    assert form["screening.validity_days"].value() == "-1"
    assert form["monitoring.gate_defer.spo2_below"].value() == "93"
    assert form["change_summary"].value() == "Renew screenings sooner"
    assert "Enter 0 or more." in response.content.decode()
    assert ProtocolVersion.objects.filter(site=world.site1).count() == 1


def test_a_version_published_meanwhile_is_shown_again_before_publishing(world: World) -> None:
    active_protocol_version(world.site1)
    client = _client(world.admin1)
    data, review = _review(client, world, screening__validity_days="120")
    _other, other_review = _review(client, world, screening__cssrs_lookback_days="14")
    other = {**_other, "base": other_review.context["base"], "_publish": "Publish"}
    assert client.post(ADD, other).status_code == 302
    stale = {**data, "base": review.context["base"], "_publish": "Publish"}
    response = client.post(ADD, stale)
    assert response.status_code == 200
    assert "Someone published a new version meanwhile" in response.content.decode()
    assert ProtocolVersion.objects.filter(site=world.site1).count() == 2  # the first and the other one only


def test_no_difference_is_said_instead_of_saving_a_copy(world: World) -> None:
    active_protocol_version(world.site1)
    _data, response = _review(_client(world.admin1), world)
    assert "Nothing differs from the active version" in response.content.decode()


def test_going_back_to_editing_keeps_what_was_typed(world: World) -> None:
    active_protocol_version(world.site1)
    client = _client(world.admin1)
    data, _review_page = _review(client, world, screening__validity_days="120")
    response = client.post(ADD, {**data, "_edit": "Back to editing"})
    assert response.context["form"]["screening.validity_days"].value() == "120"
    assert not response.context["form"].errors


@pytest.mark.parametrize("site", ["abc", "999999", "{site2}"])
def test_a_site_that_is_not_yours_asks_to_choose_one(world: World, site: str) -> None:
    both = staff(Role.CLINIC_ADMIN, world.site1, username="admin.one")
    response = _client(both).get(ADD, {"site": site.format(site2=world.site2.pk)})
    assert response.status_code == 200
    assert "Choose one of your sites." in response.content.decode()
    assert "South Test Site" not in response.content.decode()


def test_a_new_version_can_start_from_an_earlier_one(world: World) -> None:
    first = active_protocol_version(world.site1)
    client = _client(world.admin1)
    data, review = _review(client, world, screening__validity_days="120")
    client.post(ADD, {**data, "base": review.context["base"], "_publish": "Publish"})
    page = client.get(ADD, {"site": world.site1.pk, "from": first.pk})
    assert page.context["start_version"] == first
    assert page.context["form"]["screening.validity_days"].value() == "180"
