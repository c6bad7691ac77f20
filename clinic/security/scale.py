"""The security app's part of `manage.py seed_scale` (clinic/scale.py): break-glass grants and signed-in sessions.

About one patient in a hundred (and the showcase patient) was opened once in an emergency by a prescriber of the
next site, for four hours, at a moment of their years with the clinic; each grant's opening is audited as the
service audits it. Every staff member of the network has one browser session, seen within the last day (written
with the first batch; sessions belong to people, not to patients).
"""

from __future__ import annotations

import datetime as dt
import secrets

from clinic.models import Role
from clinic.scale import PatientBatch, ScaleContext
from clinic.security.models import BreakGlassGrant, SignedInSession

AFTER: tuple[str, ...] = ()
GRANT_SHARE = 0.01
GRANT_HOURS = 4
REASON = "Seed-scale: seen in the emergency department of another site; medication history needed."


def seed_batch(ctx: ScaleContext, batch: PatientBatch) -> None:
    _sessions(ctx)
    chosen = [p for p in batch.patients if p.profile == "chart" or ctx.chance(GRANT_SHARE)]
    grants = []
    for p, grant_id in zip(chosen, ctx.writer.ids(BreakGlassGrant, len(chosen)), strict=True):
        other = ctx.sites[(p.site.index + 1) % len(ctx.sites)]
        prescriber = other.staff[Role.PRESCRIBER][p.id % len(other.staff[Role.PRESCRIBER])]
        opened = p.registered_at + (ctx.now - p.registered_at) * ctx.rng.random() * 0.99
        expires = opened + dt.timedelta(hours=GRANT_HOURS)
        grants.append((grant_id, prescriber.id, p.id, REASON, opened, expires, None, None))
        ctx.audit("clinic.breakglass.open", opened, actor=prescriber, patient_id=p.id,
                  object_type="security.breakglassgrant", object_id=grant_id)  # fmt: skip
    columns = ("id", "user", "patient", "reason", "opened_at", "expires_at", "ended_at", "ended_by")
    ctx.writer.write(BreakGlassGrant, columns, grants)


def _sessions(ctx: ScaleContext) -> None:
    if ctx.state.get("security.sessions"):
        return
    ctx.state["security.sessions"] = True
    rows = []
    for site in ctx.sites:
        for members in site.staff.values():
            for member in members:
                seen = ctx.now - dt.timedelta(minutes=ctx.rng.randrange(1, 24 * 60))
                signed_in = seen - dt.timedelta(minutes=ctx.rng.randrange(5, 8 * 60))
                rows.append((secrets.token_hex(20), member.id, signed_in, seen, "127.0.0.1", "seed_scale"))
    ctx.writer.write(SignedInSession, ("session_key", "user", "signed_in_at", "last_seen_at", "ip_address",
                                       "user_agent"), rows)  # fmt: skip
