"""Provision a staff account at a site, or invite an existing patient to the portal.

A patient's account is never made here with a password someone else chose: `--role patient --patient-id N` emails
the patient an invitation (clinic/invitations.py), from which they set their own password."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clinic import audit, invitations
from clinic.audit import audit_context
from clinic.errors import DomainError
from clinic.models import Patient, Role, Site, User


def site_code_for(name: str) -> str:
    letters = re.sub(r"[^A-Za-z0-9]", "", name).upper()
    return (letters[:6] or "SITE").ljust(2, "X")


def get_or_create_site(name: str) -> tuple[Site, bool]:
    site = Site.objects.filter(name__iexact=name).first()
    if site:
        return site, False
    code = site_code_for(name)
    candidate, n = code, 1
    while Site.objects.filter(code=candidate).exists():
        n += 1
        candidate = f"{code[:6]}{n}"
    site = Site.objects.create(name=name, code=candidate)
    audit.record("clinic.site.create", obj=site, details={"name": name, "code": candidate, "via": "command"})
    return site, True


class Command(BaseCommand):
    help = "Create a staff user with a role at a site, or (role patient) email an existing patient a portal invitation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="", help="staff only: a patient signs in with their email address")
        parser.add_argument("--password", help="staff only: patients choose theirs from the invitation")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--site", help="site name for staff (created if missing)")
        parser.add_argument("--patient-id", type=int, help="the patient's id, for role patient")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--skip-password-validation", action="store_true", help="for demo and test data only")

    def handle(self, *args: Any, **opts: Any) -> None:
        role = opts["role"]
        if role not in Role.values:
            raise CommandError(f"Unknown role {role!r}: use one of {', '.join(Role.values)}.")
        username = opts["username"].strip()
        if role != Role.PATIENT and not username:
            raise CommandError("--username must not be blank.")
        if username and User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        patient = None
        if role == Role.PATIENT:
            if opts["patient_id"] is None:
                raise CommandError("Role patient needs --patient-id of an existing patient.")
            patient = Patient.objects.filter(pk=opts["patient_id"]).first()
            if patient is None:
                raise CommandError(f"No patient with id {opts['patient_id']}.")
            if User.objects.filter(patient=patient).exists():
                raise CommandError(f"Patient {opts['patient_id']} already has a portal account.")
            if opts["site"]:
                raise CommandError("--site is for staff; a patient belongs to their patient record's site.")
            if opts["password"] or username:
                raise CommandError(
                    "Patients choose their own password and sign in with their email address, from the "
                    "invitation: leave out --username and --password."
                )
            with audit_context():
                try:
                    invitation = invitations.invite_patient(by=None, patient=patient)
                except DomainError as exc:
                    raise CommandError(exc.message) from None
            self.stdout.write(self.style.SUCCESS(f"Sent a portal invitation to {invitation.email}."))
            return
        elif opts["patient_id"] is not None:
            raise CommandError("--patient-id is only for role patient.")
        elif not opts["site"]:
            raise CommandError("Staff need --site NAME (it is created if missing).")
        if not opts["password"]:
            raise CommandError("Staff need --password.")
        user = User(
            username=username,
            role=role,
            patient=patient,
            first_name=opts["first_name"],
            last_name=opts["last_name"],
            email=opts["email"],
        )
        if not opts["skip_password_validation"]:
            try:
                validate_password(opts["password"], user)
            except ValidationError as exc:
                raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        with audit_context(), transaction.atomic():
            user.set_password(opts["password"])
            user.save()
            details: dict[str, Any] = {"username": username, "role": role, "via": "command"}
            if role != Role.PATIENT:
                site, created = get_or_create_site(opts["site"])
                user.sites.add(site)
                details["site"] = site.pk
                if created:
                    self.stdout.write(f"Created site {site.name} ({site.code}).")
            audit.record("clinic.user.create", obj=user, patient=patient, details=details)
        self.stdout.write(self.style.SUCCESS(f"Created {role} user {username!r}."))
