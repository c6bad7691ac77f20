from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic import scale


class Command(BaseCommand):
    help = (
        "Fill the database with a synthetic clinic network at scale: 20 sites over five years, N patients with their "
        "screenings, courses, sessions, notes, reminders and audit trail (obviously fake data; clinic/scale.py). "
        "Refuses a database that already has patients unless --append. Nothing else may write to the database "
        "while it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="how many patients to add")
        parser.add_argument(
            "--append", action="store_true", help="add to a database that already has patients (and scale sites)"
        )
        parser.add_argument("--seed", type=int, default=13, help="random seed: the same seed makes the same data")
        parser.add_argument("--batch-size", type=int, default=scale.BATCH_SIZE, help="patients per transaction")

    def handle(self, *args: Any, **opts: Any) -> None:
        patients = opts["patients"]
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        if opts["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if scale.database_has_patients() and not opts["append"]:
            raise CommandError(
                "This database already has patients. seed_scale fills an empty database (a benchmark's or a "
                "throwaway one); add --append to add more patients to it anyway."
            )
        result = scale.seed(
            patients,
            seed=opts["seed"],
            batch_size=opts["batch_size"],
            showcase=not opts["append"],
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        self.stdout.write(self.style.SUCCESS(f"Added {result.patients:,} patients in {result.seconds:.1f} s:"))
        for label, count in sorted(result.counts.items()):
            self.stdout.write(f"  {label:<45} {count:>12,}")
