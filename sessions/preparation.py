"""What a patient needs to know and do before a session, and the portal's timing rules for a session (clinical
protocol §4, fasting; docs/clinical-protocol.md §10, the patient portal).

Pure: no Django. "Now" and the protocol are arguments. The preparation is computed for one session from its start
and route: nothing to eat from `monitoring.fasting.<route>.solids_hours` before it, clear liquids until
`monitoring.fasting.<route>.clear_liquids_hours` before it, an adult to take the patient home (no driving until the
next day), and what to bring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from clinic.protocol import Protocol, Route

# What every patient brings to a dosing session (plain words; clinical protocol §4, preparation).
BRING = (
    "a photo ID and your insurance card",
    "a list of the medicines you take, with their doses",
    "comfortable clothes, and an eye mask or headphones if you like",
)
# The examples of clear liquids a patient may drink until the clear-liquids time.
CLEAR_LIQUIDS = "water, clear apple juice, or black coffee or tea without milk"


@dataclass(frozen=True, slots=True)
class Preparation:
    """How to get ready for one session. `solids_until`: the last moment to eat; `clear_liquids_until`: the last
    moment to drink clear liquids (both aware datetimes, in the session's own zone)."""

    solids_until: dt.datetime
    clear_liquids_until: dt.datetime
    solids_hours: Decimal
    clear_liquids_hours: Decimal
    escort_needed: bool
    bring: tuple[str, ...]
    clear_liquids: str = CLEAR_LIQUIDS


def _hours(value: Decimal) -> dt.timedelta:
    return dt.timedelta(minutes=int(value * 60))


def preparation_for(start: dt.datetime, route: Route, protocol: Protocol) -> Preparation:
    """The preparation of a dosing session starting at `start` by `route`, under `protocol` (§4 fasting)."""
    fasting = protocol.monitoring.fasting[route]
    return Preparation(
        solids_until=start - _hours(fasting.solids_hours),
        clear_liquids_until=start - _hours(fasting.clear_liquids_hours),
        solids_hours=fasting.solids_hours,
        clear_liquids_hours=fasting.clear_liquids_hours,
        escort_needed=True,  # every route: no driving until the next day (§4, discharge)
        bring=BRING,
    )


def check_in_open(start: dt.datetime, now: dt.datetime, protocol: Protocol) -> bool:
    """The patient's pre-visit check-in is open from `portal.check_in_opens_hours_before` before the session until
    it starts (the nurse's check-in takes over at the chair)."""
    opens = start - dt.timedelta(hours=protocol.portal.check_in_opens_hours_before)
    return opens <= now < start


def inside_notice_period(start: dt.datetime, now: dt.datetime, protocol: Protocol) -> bool:
    """A request to move or cancel a session that starts within `portal.appointment_notice_hours` is late: the
    clinic's late-change policy applies (the request is still sent)."""
    return start - now < dt.timedelta(hours=protocol.portal.appointment_notice_hours)
