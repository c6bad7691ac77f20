"""Synthetic data at clinic-network scale: `manage.py seed_scale --patients N` (issue 13; bench/README.md).

The network: 20 sites in five US time zones, 8 chairs and 16 staff each, patients registered over five years up to
now, whose courses run up to a month ahead. Each app writes its own tables: its AppConfig names its part,
`scale_seeder = "<app>.scale"`, a module with `AFTER` (the app labels whose rows it needs first) and
`seed_batch(ctx, batch)`, optionally `prepare(ctx)`; clinic imports no app (docs/architecture.md, "Allowed
imports"). Patients come in batches; an app leaves what a later one needs (the batch's dosing sessions, its PHQ-9
scores) in `batch.shared` as plain tuples of ids and times, the way apps meet through ids elsewhere.

Rows go straight to the tables: COPY on PostgreSQL, executemany on SQLite, with ids reserved here so that rows can
point at each other without a round trip. Nothing goes through the services or `save()`: the services' rules hold
by construction (no chair, therapist or patient double-booked, dosing only after a cleared screening, statuses that
follow the workflows), and every record is obviously fake (`Testperson-000042`, `.invalid` addresses). Encrypted
fields are written encrypted, each distinct text encrypted once and its token reused.

Audit events go through `write_audit_events`, the one function that writes them (`ScaleContext.audit_writer`): when
the audit trail gains a hash chain, that function computes the links, in the order the rows are given.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import importlib
import json
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.models import Max

from clinic.audit import GENESIS_HASH, entry_hash, lock_chain
from clinic.encryption import Ciphertext, EncryptedMixin, encrypt
from clinic.models import (
    AuditEvent,
    CareTeamMember,
    Chair,
    Patient,
    PortalInvitation,
    ProtocolVersion,
    Role,
    Site,
    User,
)

SITE_COUNT = 20
CHAIRS_PER_SITE = 8
STAFF_PER_SITE = {Role.PRESCRIBER: 3, Role.NURSE: 6, Role.THERAPIST: 4, Role.FRONT_DESK: 2, Role.CLINIC_ADMIN: 1}
TIME_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles")
YEARS = 5
BATCH_SIZE = 2_000
# How patients are spread over the stages of care; "chart" is the one showcase patient of a run (12 sessions,
# 30 assessments, 12 notes: the benchmark's patient chart).
PROFILES = (("new", 0.08), ("ineligible", 0.05), ("treated", 0.59), ("maintenance", 0.28))
HORIZON_DAYS = 30  # courses are booked up to a month ahead
PORTAL_SHARE = 0.1  # patients with a portal account
GIVEN = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kendall", "Logan", "Morgan",
         "Noel", "Parker", "Quinn", "Reese", "Rowan", "Sage", "Taylor")  # fmt: skip
SCALE_SITE_PREFIX = "SC"
VIA_DETAILS = {"via": "seed_scale"}
VIA = json.dumps(VIA_DETAILS)


def js(value: Any) -> str:
    """A JSON column's value, serialised once (rows carry JSON as text; templates reuse the string)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# --- Writing rows ---------------------------------------------------------------------------------------------------


class TableWriter:
    """Appends rows to a model's table: COPY on PostgreSQL, executemany on SQLite.

    Rows are tuples in the order of `columns` (field names; a foreign key by its name, holding the id). Values are
    what the database stores: aware datetimes, Decimals, JSON as text (`js`), encrypted fields as tokens.
    """

    def __init__(self, using: str = "default") -> None:
        self.alias = using
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"
        self.counts: Counter[str] = Counter()
        self._next_id: dict[type[models.Model], int] = {}

    def ids(self, model: type[models.Model], count: int) -> range:
        """Reserve `count` primary keys of `model` (the sequences are set past them in `finish`)."""
        start = self._next_id.get(model)
        if start is None:
            start = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
        self._next_id[model] = start + count
        return range(start, start + count)

    def write(self, model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        fields = [model._meta.get_field(name) for name in columns]
        # A column the caller does not name but the table requires takes the model's default, so that a field added
        # later (with its default) does not break the seeder.
        defaults = [
            f
            for f in model._meta.concrete_fields
            if f not in fields
            and not f.null
            and not f.primary_key
            and not isinstance(f, EncryptedMixin)
            and (f.has_default() or isinstance(f, models.CharField | models.TextField))
        ]
        if defaults:
            fields += defaults
            extra = tuple(self._stored(f, f.get_default()) for f in defaults)
            rows = [(*row, *extra) for row in rows]
        names = ", ".join(self.connection.ops.quote_name(str(f.column)) for f in fields)  # type: ignore[union-attr]
        table = self.connection.ops.quote_name(model._meta.db_table)
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                prep = [self._sqlite_value(f) for f in fields]
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - names from the model
                    [tuple(p(v) for p, v in zip(prep, row, strict=True)) for row in rows],
                )
        self.counts[model._meta.label] += len(rows)

    def _stored(self, model_field: Any, value: Any) -> Any:
        """A model default as this writer's rows hold it (JSON as text, the rest as the field prepares it)."""
        if isinstance(model_field, models.JSONField):
            return json.dumps(value)
        return model_field.get_db_prep_save(value, self.connection) if self.postgres else value

    def _sqlite_value(self, model_field: Any) -> Callable[[Any], Any]:
        if isinstance(model_field, EncryptedMixin | models.JSONField):
            return lambda value: value  # already a token, or JSON text
        return lambda value: model_field.get_db_prep_save(value, self.connection)

    def reset_sequences(self) -> None:
        """Move the id sequences past the ids written, so that the application's own inserts never collide with
        them (after every batch: a run stopped half-way leaves a usable database)."""
        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), list(self._next_id)):
                cursor.execute(statement)


# --- The network and its patients -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    role: str


@dataclass
class ScaleSite:
    index: int
    id: int
    code: str
    zone: ZoneInfo
    protocol_version_id: int
    chair_ids: list[int]
    staff: dict[str, list[StaffMember]]
    next_mrn: int


@dataclass
class ScalePatient:
    id: int
    site: ScaleSite
    profile: str  # new, ineligible, treated, maintenance, chart
    registered_at: dt.datetime
    date_of_birth: dt.date
    sex_at_birth: str
    height_cm: Decimal
    weight_kg: Decimal
    given_name: str
    family_name: str
    # The plan every app follows: the day the first course begins (None: never treated), the boosters' days.
    first_course_on: dt.date | None = None
    booster_days: tuple[dt.date, ...] = ()
    portal_user_id: int | None = None  # the patient's portal account, once the batch's users are written

    def staff(self, role: str, n: int = 0) -> StaffMember:
        """The patient's n-th colleague of that role at their site: the same person for the same (patient, n)."""
        members = self.site.staff[role]
        return members[(self.id + n) % len(members)]


@dataclass
class PatientBatch:
    number: int
    patients: list[ScalePatient]
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRow:
    occurred_at: dt.datetime
    action: str
    actor: StaffMember | None
    patient_id: int | None
    object_type: str
    object_id: int | str


def write_audit_events(writer: TableWriter, rows: Sequence[AuditRow]) -> None:
    """The one writer of seeded audit events (swap it through `ScaleContext.audit_writer`): each batch continues
    the hash chain of clinic.audit from its last entry, under the chain's lock, in the order of time."""
    with transaction.atomic(using=writer.alias):
        lock_chain(using=writer.alias)
        last = AuditEvent.objects.using(writer.alias).order_by("-sequence").values("sequence", "hash").first()
        sequence, previous = (last["sequence"], last["hash"]) if last else (0, GENESIS_HASH)
        chained = []
        for r in sorted(rows, key=lambda r: r.occurred_at):
            sequence += 1
            event = AuditEvent(
                id=uuid.uuid4(), sequence=sequence, prev_hash=previous, occurred_at=r.occurred_at,
                actor_id=r.actor.id if r.actor else None, actor_username=r.actor.username if r.actor else "",
                actor_role=r.actor.role if r.actor else "system", action=r.action, patient_id=r.patient_id,
                object_type=r.object_type, object_id=str(r.object_id), request_id="seed-scale", ip_address=None,
                details=VIA_DETAILS,
            )  # fmt: skip
            previous = event.hash = entry_hash(event)
            chained.append((event.id, event.occurred_at, event.actor_id, event.actor_username, event.actor_role,
                            event.action, event.patient_id, event.object_type, event.object_id, event.request_id,
                            None, VIA, event.sequence, event.prev_hash, event.hash))  # fmt: skip
        writer.write(
            AuditEvent,
            ("id", "occurred_at", "actor", "actor_username", "actor_role", "action", "patient", "object_type",
             "object_id", "request_id", "ip_address", "details", "sequence", "prev_hash", "hash"),
            chained,
        )  # fmt: skip


class ScaleContext:
    """What every part of the seeding shares: the clock, the random source, the writer, the network."""

    def __init__(self, *, now: dt.datetime, seed: int, writer: TableWriter) -> None:
        self.now = now
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by seed
        self.writer = writer
        self.start = now - dt.timedelta(days=365 * YEARS)
        self.sites: list[ScaleSite] = []
        self.state: dict[str, Any] = {}  # a part's own memory across batches, under "<app label>.<name>"
        self.audit_writer: Callable[[TableWriter, Sequence[AuditRow]], None] = write_audit_events
        self._audit: list[AuditRow] = []
        self._tokens: dict[str, Ciphertext] = {}

    def sealed(self, text: str) -> Ciphertext:
        """The encrypted form of `text` for an encrypted field: encrypted once, the token reused."""
        token = self._tokens.get(text)
        if token is None:
            token = self._tokens[text] = Ciphertext(encrypt(text))
        return token

    def sealed_json(self, value: Any) -> Ciphertext:
        return self.sealed(json.dumps(value, sort_keys=True))

    def audit(
        self,
        action: str,
        at: dt.datetime,
        *,
        actor: StaffMember | None,
        patient_id: int | None,
        object_type: str,
        object_id: int | str,
    ) -> None:
        self._audit.append(AuditRow(at, action, actor, patient_id, object_type, object_id))

    def flush_audit(self) -> None:
        self.audit_writer(self.writer, self._audit)
        self._audit = []

    def local(self, site: ScaleSite, day: dt.date, time: dt.time) -> dt.datetime:
        """A wall-clock time at the site, in UTC."""
        return dt.datetime.combine(day, time, tzinfo=site.zone).astimezone(dt.UTC)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


# --- The parts of the apps ------------------------------------------------------------------------------------------


def scale_parts() -> list[ModuleType]:
    """The apps' parts (`AppConfig.scale_seeder`), each after those its `AFTER` names."""
    parts: dict[str, ModuleType] = {}
    for config in apps.get_app_configs():
        path = getattr(config, "scale_seeder", None)
        if path:
            parts[config.label] = importlib.import_module(path)
    graph: dict[str, set[str]] = {}
    for label, module in parts.items():
        after = set(getattr(module, "AFTER", ()))
        if unknown := after - set(parts):
            raise ImproperlyConfigured(f"{module.__name__}.AFTER names apps without a scale part: {sorted(unknown)}")
        graph[label] = after
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise ImproperlyConfigured(f"The scale parts' AFTER form a cycle: {exc.args[1]}") from None
    return [parts[label] for label in order]


# --- Clinic's own part: sites, staff, patients, care teams ----------------------------------------------------------


def _network(ctx: ScaleContext) -> None:
    """The 20 scale sites with their chairs, staff and protocol (made once; found again on --append)."""
    unusable = make_password(None)
    for index in range(SITE_COUNT):
        code = f"{SCALE_SITE_PREFIX}{index + 1:02d}"
        site = Site.objects.filter(code=code).first()
        if site is None:
            site = Site.objects.create(
                name=f"Scale Clinic {index + 1:02d} (synthetic data)",
                code=code,
                time_zone=TIME_ZONES[index % len(TIME_ZONES)],
                address=f"{index + 1} Example Street, Nowhere",
                phone=f"555-01{index:02d}",
            )
            Chair.objects.bulk_create(Chair(site=site, name=f"Chair {n}") for n in range(1, CHAIRS_PER_SITE + 1))
            ProtocolVersion.objects.create(site=site, number=1, is_active=True, first_used_at=ctx.start)
            staff = [
                User(username=f"scale-{code.lower()}-{role.replace('_', '')}-{n}", role=role, password=unusable,
                     first_name=f"{role.label.split()[0]} {n}", last_name=f"Testperson-{code}",
                     email=f"scale-{code.lower()}-{role}-{n}@clinic.invalid", is_staff=role == Role.CLINIC_ADMIN)
                for role, count in STAFF_PER_SITE.items()
                for n in range(1, count + 1)
            ]  # fmt: skip
            User.objects.bulk_create(staff)
            site.staff.add(*User.objects.filter(username__startswith=f"scale-{code.lower()}-"))
            ctx.audit("clinic.site.create", ctx.start, actor=None, patient_id=None, object_type="clinic.site",
                      object_id=site.pk)  # fmt: skip
        members: dict[str, list[StaffMember]] = defaultdict(list)
        for user in site.staff.filter(username__startswith="scale-").order_by("id"):
            members[user.role].append(StaffMember(user.pk, user.username, user.role))
        ctx.sites.append(
            ScaleSite(
                index=index,
                id=site.pk,
                code=code,
                zone=ZoneInfo(site.time_zone),
                protocol_version_id=site.protocol_versions.get(is_active=True).pk,
                chair_ids=list(site.chairs.order_by("name").values_list("pk", flat=True)),
                staff=dict(members),
                next_mrn=site.next_mrn_number,
            )
        )


def _profile(ctx: ScaleContext) -> str:
    draw = ctx.rng.random()
    for name, share in PROFILES:
        if draw < share:
            return name
        draw -= share
    return PROFILES[-1][0]


def _patients(ctx: ScaleContext, number: int, count: int, showcase: bool) -> PatientBatch:
    rng, span = ctx.rng, (ctx.now - ctx.start).total_seconds()
    patients = []
    for n, pk in enumerate(ctx.writer.ids(Patient, count)):
        site = ctx.sites[pk % len(ctx.sites)]
        is_showcase = showcase and n == 0
        registered = (
            ctx.now - dt.timedelta(days=150) if is_showcase else ctx.start + dt.timedelta(seconds=span * rng.random())
        )
        sex = rng.choice(("female", "male"))
        height = Decimal(rng.randint(152, 178) + (10 if sex == "male" else 0))
        profile = "chart" if is_showcase else _profile(ctx)
        first, boosters = _plan(ctx, profile, registered)
        patients.append(
            ScalePatient(
                id=pk,
                site=site,
                profile=profile,
                registered_at=registered,
                date_of_birth=dt.date(rng.randint(1945, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                sex_at_birth=sex,
                height_cm=height,
                weight_kg=Decimal(rng.randint(50, 120)),
                given_name=rng.choice(GIVEN),
                family_name=f"Testperson-{pk:06d}",
                first_course_on=first,
                booster_days=boosters,
            )
        )
    return PatientBatch(number, patients)


def _plan(ctx: ScaleContext, profile: str, registered: dt.datetime) -> tuple[dt.date | None, tuple[dt.date, ...]]:
    """When treatment begins (a Monday or Tuesday 1-3 weeks after registering) and the boosters' days."""
    if profile in {"new", "ineligible"}:
        return None, ()
    day = registered.date() + dt.timedelta(days=10 if profile == "chart" else ctx.rng.randint(7, 21))
    first = day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=ctx.rng.randint(0, 1) + 7)
    if profile != "maintenance":
        return first, ()
    horizon = ctx.now.date() + dt.timedelta(days=HORIZON_DAYS)
    boosters, day = [], first + dt.timedelta(days=ctx.rng.randint(80, 160))
    for _ in range(ctx.rng.choice((2, 2, 3))):
        day += dt.timedelta(days=(7 - day.weekday()) % 7 + ctx.rng.randint(0, 3))  # a weekday
        if day > horizon:
            break
        boosters.append(day)
        day += dt.timedelta(days=ctx.rng.randint(60, 120))
    return first, tuple(boosters)


PATIENT_COLUMNS = (
    "id", "site", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth", "email", "phone",
    "preferred_reminder_channel", "non_clinical_opt_out", "emergency_contact_name", "emergency_contact_phone",
    "emergency_contact_relationship", "height_cm", "weight_kg", "measured_at", "is_active", "created_at", "updated_at",
)  # fmt: skip


def _write_patients(ctx: ScaleContext, batch: PatientBatch) -> None:
    rows, team, users = [], [], []
    portal_password = make_password(None)
    invited: list[ScalePatient] = []
    for p in batch.patients:
        site = p.site
        mrn = f"{site.code}-{site.next_mrn:06d}"
        site.next_mrn += 1
        number = f"555-0{p.id % 1000:03d}"
        rows.append((
            p.id, site.id, mrn, p.given_name, p.family_name, p.date_of_birth, p.sex_at_birth,
            f"testperson-{p.id:06d}@example.invalid", number, "sms" if p.id % 7 == 0 else "email", False,
            f"Contact {p.family_name}", number, "friend", p.height_cm, p.weight_kg, p.registered_at, True,
            p.registered_at, p.registered_at,
        ))  # fmt: skip
        members = [(Role.PRESCRIBER, True), (Role.NURSE, False)]
        if p.profile not in {"new", "ineligible"}:
            members.append((Role.THERAPIST, False))
        for role, primary in members:
            team.append((p.id, p.staff(role).id, role, primary, p.registered_at))
        ctx.audit("clinic.patient.create", p.registered_at, actor=p.staff(Role.FRONT_DESK), patient_id=p.id,
                  object_type="clinic.patient", object_id=p.id)  # fmt: skip
        ctx.audit("clinic.patient.view", p.registered_at + dt.timedelta(days=1), actor=p.staff(Role.NURSE),
                  patient_id=p.id, object_type="clinic.patient", object_id=p.id)  # fmt: skip
        if p.profile == "chart" or ctx.chance(PORTAL_SHARE):
            users.append((f"testperson-{p.id:06d}", portal_password, Role.PATIENT, p.id, p.given_name,
                          p.family_name, f"testperson-{p.id:06d}@example.invalid", p.registered_at))  # fmt: skip
            invited.append(p)
    ctx.writer.write(Patient, PATIENT_COLUMNS, rows)
    ctx.writer.write(CareTeamMember, ("patient", "user", "role", "is_primary", "added_at"), team)
    user_ids = ctx.writer.ids(User, len(users))
    ctx.writer.write(
        User,
        ("id", "username", "password", "role", "patient", "first_name", "last_name", "email", "date_joined",
         "is_superuser", "is_staff", "is_active", "credentials"),
        [(pk, *u, False, False, True, "") for pk, u in zip(user_ids, users, strict=True)],
    )  # fmt: skip
    # the portal accounts, for the apps whose rows a patient writes (messaging): patient id -> user id
    batch.shared["clinic.portal_users"] = {u[3]: pk for pk, u in zip(user_ids, users, strict=True)}
    # Every portal account came from an invitation (clinic/invitations.py), used the day after registration.
    invitations = []
    for p, user_id in zip(invited, user_ids, strict=True):
        p.portal_user_id = user_id
        sent, used = p.registered_at + dt.timedelta(hours=1), p.registered_at + dt.timedelta(days=1)
        invitations.append((p.id, f"testperson-{p.id:06d}@example.invalid", uuid.uuid4().hex + uuid.uuid4().hex,
                            sent, p.staff(Role.FRONT_DESK).id, sent + dt.timedelta(hours=72), used, None, user_id,
                            sent))  # fmt: skip
    ctx.writer.write(
        PortalInvitation,
        ("patient", "email", "token_hash", "created_at", "created_by", "expires_at", "used_at", "replaced_at",
         "account", "sent_at"),
        invitations,
    )  # fmt: skip


# --- The run --------------------------------------------------------------------------------------------------------


@dataclass
class ScaleResult:
    patients: int
    counts: Counter[str]
    seconds: float


def database_has_patients(using: str = "default") -> bool:
    return Patient.objects.using(using).exists()


def seed(
    patients: int,
    *,
    seed: int = 13,
    now: dt.datetime | None = None,
    showcase: bool = True,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str], None] = lambda line: None,
    parts: Iterable[ModuleType] | None = None,
) -> ScaleResult:
    """Add `patients` patients with their records to the scale network (made on first use). The caller decides
    whether the database may already hold data (`seed_scale` refuses unless --append). Ids are reserved from the
    largest in each table: nothing else may write to the database while it runs."""
    import time

    from django.utils import timezone

    began = time.monotonic()
    writer = TableWriter()
    if writer.postgres:
        with writer.connection.cursor() as cursor:
            # Synthetic data: a crash may lose the last batches, never corrupt them; commits need not wait for disk.
            cursor.execute("SET synchronous_commit TO off")
    ctx = ScaleContext(now=now or timezone.now(), seed=seed, writer=writer)
    chosen = list(scale_parts() if parts is None else parts)
    with transaction.atomic():
        _network(ctx)
        for part in chosen:
            if prepare := getattr(part, "prepare", None):
                prepare(ctx)
        ctx.flush_audit()
    done = 0
    for number, offset in enumerate(range(0, patients, batch_size)):
        with transaction.atomic():
            batch = _patients(ctx, number, min(batch_size, patients - offset), showcase and number == 0)
            _write_patients(ctx, batch)
            for part in chosen:
                part.seed_batch(ctx, batch)
            ctx.flush_audit()
            writer.reset_sequences()
            for site in ctx.sites:
                Site.objects.filter(pk=site.id).update(next_mrn_number=site.next_mrn)
        done += len(batch.patients)
        progress(f"{done:,} of {patients:,} patients ({time.monotonic() - began:.0f} s)")
    if writer.postgres:
        with writer.connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner's statistics, for what is measured next
    return ScaleResult(patients, writer.counts, time.monotonic() - began)
