"""Encrypted backups of the database and the stored files, and their restore (docs/security.md).

One archive file: a tar of `manifest.json`, the database (PostgreSQL: `pg_dump` in custom format; SQLite: a copy
made with SQLite's online backup API) and `media.tar` (every file under MEDIA_ROOT), encrypted with
BACKUP_ENCRYPTION_KEY in chunks of 1 MiB. Each chunk is a Fernet token (AES-128-CBC and HMAC-SHA256, from
pyca/cryptography) that carries its own number and whether it is the last, so a chunk changed, dropped, reordered
or cut off refuses to open. The manifest holds the row count and a checksum of every table, the checksum of every
file, and the head of the audit chain; a restore compares them all.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

MAGIC = b"KAPBACKUP1\n"
CHUNK_BYTES = 1024 * 1024
FORMAT = "kap-backup-1"
WRONG_KEY = (
    "This backup cannot be opened with BACKUP_ENCRYPTION_KEY: the key is not the one it was made with, or the file "
    "is damaged or not a backup of this application."
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the person running the command."""


@dataclass
class Manifest:
    created_at: str
    engine: str
    tables: dict[str, dict[str, Any]]  # {"table": {"rows": n, "sha256": "..."}}
    files: dict[str, str]  # archive members and stored files (media/<path>) -> sha256
    audit_head: dict[str, Any] | None
    format: str = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()


@dataclass
class RestoreReport:
    manifest: Manifest
    problems: list[str] = field(default_factory=list)


def _fernet(key: str) -> Fernet:
    if not key:
        raise BackupError("BACKUP_ENCRYPTION_KEY is not set; backups are always encrypted (docs/security.md).")
    return Fernet(key.encode())


# --- the encrypted container ------------------------------------------------------------------------------------


def _encrypt(source: IO[bytes], target: IO[bytes], key: str) -> None:
    fernet = _fernet(key)
    target.write(MAGIC)
    index, chunk = 0, source.read(CHUNK_BYTES)
    while True:
        following = source.read(CHUNK_BYTES)
        last = not following
        token = fernet.encrypt(struct.pack(">Q?", index, last) + chunk)
        target.write(struct.pack(">I", len(token)) + token)
        if last:
            return
        index, chunk = index + 1, following


def _decrypt(source: IO[bytes], target: IO[bytes], key: str) -> None:
    fernet = _fernet(key)
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("This file is not a backup made by `manage.py backup`.")
    expected = 0
    while True:
        header = source.read(4)
        if len(header) != 4:
            raise BackupError("The backup ends too early: the file is cut off.")
        token = source.read(struct.unpack(">I", header)[0])
        try:
            plain = fernet.decrypt(token)
        except InvalidToken:
            raise BackupError(WRONG_KEY) from None
        index, last = struct.unpack(">Q?", plain[:9])
        if index != expected:
            raise BackupError("The backup's parts are out of order: the file is damaged.")
        target.write(plain[9:])
        if last:
            return
        expected += 1


# --- what is in the database ------------------------------------------------------------------------------------


def table_summary() -> dict[str, dict[str, Any]]:
    """Row count and a checksum of the content of every table, in primary-key order."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return _summarise(
            cursor,
            {t: connection.introspection.get_primary_key_column(cursor, t) for t in tables},
            connection.ops.quote_name,
        )


def _sqlite_copy_summary(path: Path) -> dict[str, dict[str, Any]]:
    """The same summary, read from the SQLite copy itself (with Django's type converters, as the live database)."""
    copy = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
    try:
        cursor = copy.cursor()
        tables = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        keys = {}
        for table in tables:
            columns = cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})").fetchall()
            keys[table] = next((column[1] for column in columns if column[5] == 1), None)
        return _summarise(cursor, keys, connection.ops.quote_name)
    finally:
        copy.close()


def _summarise(cursor: Any, keys: dict[str, str | None], quote: Any) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for table in sorted(keys):
        if table.startswith("sqlite_"):
            continue
        order = quote(keys[table]) if keys[table] else "1"
        cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")  # noqa: S608 (names from the schema)
        digest, rows = hashlib.sha256(), 0
        for row in cursor.fetchall():
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
            rows += 1
        summary[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return summary


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _audit_head() -> dict[str, Any] | None:
    from clinic.models import AuditEvent

    head = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    return dict(head) if head else None


def _database_url_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres"]
    env = {**os.environ}
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed: install PostgreSQL's client programs (postgresql-client).")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def _snapshot() -> str | None:
    """On PostgreSQL, a snapshot that pg_dump and the manifest's counts both read, so they agree while the clinic
    keeps working; SQLite's transactions take the write lock (clinic.config), which holds writers off instead."""
    if connection.vendor != "postgresql" or connection.savepoint_ids:  # inside someone else's transaction
        return None
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot: str = cursor.fetchone()[0]
    return snapshot


def _dump_database(folder: Path, snapshot: str | None) -> str:
    if connection.vendor == "postgresql":
        args, env = _database_url_env()
        target = folder / "database.dump"
        if snapshot:
            args += ["--snapshot", snapshot]
        _run(["pg_dump", *args, "--format=custom", "--file", str(target), connection.settings_dict["NAME"]], env)
        return target.name
    if connection.vendor == "sqlite":
        # The backup API copies a consistent state even while others write (it starts again if they do).
        if connection.in_atomic_block:  # SQLite's backup would wait for this very transaction for ever
            raise BackupError("Run the backup outside a database transaction.")
        target = folder / "database.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return target.name
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")


def _restore_database(path: Path) -> None:
    if connection.vendor == "postgresql":
        connection.close()
        args, env = _database_url_env()
        _run(
            ["pg_restore", *args, "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
             "--dbname", connection.settings_dict["NAME"], str(path)],
            env,
        )  # fmt: skip
        # Privileges come back as dumped; revoke again what no role but the owner may do to the audit trail.
        revoke = importlib.import_module("clinic.migrations.0005_security_audit_chain").REVOKE
        with connection.cursor() as cursor:
            cursor.execute(revoke)
        return
    # SQLite's backup API copies the backup's pages into the open database (a file, or the tests' memory database).
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


# --- stored files -----------------------------------------------------------------------------------------------


def _media_files(root: Path) -> Iterator[Path]:
    if root.exists():
        yield from sorted(p for p in root.rglob("*") if p.is_file())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the two commands -------------------------------------------------------------------------------------------


def create_backup(target: Path, *, key: str | None = None) -> Manifest:
    """Write an encrypted backup to `target`; returns its manifest."""
    key = key if key is not None else settings.BACKUP_ENCRYPTION_KEY
    _fernet(key)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="kap-backup-") as tmp:
        folder = Path(tmp)
        if connection.vendor == "postgresql":
            with transaction.atomic():
                database = _dump_database(folder, _snapshot())
                tables, audit_head = table_summary(), _audit_head()
        else:
            database = _dump_database(folder, None)
            tables, audit_head = _sqlite_copy_summary(folder / database), None
        files = {database: _sha256(folder / database)}
        with tarfile.open(folder / "media.tar", "w") as media:
            for path in _media_files(media_root):
                name = path.relative_to(media_root).as_posix()
                media.add(path, arcname=name)
                files[f"media/{name}"] = _sha256(path)
        files["media.tar"] = _sha256(folder / "media.tar")
        manifest = Manifest(
            created_at=timezone.now().isoformat(),
            engine=connection.vendor,
            tables=tables,
            files=files,
            audit_head=audit_head,
        )
        (folder / "manifest.json").write_bytes(manifest.to_json())
        with tarfile.open(folder / "archive.tar", "w") as archive:
            for name in ("manifest.json", database, "media.tar"):
                archive.add(folder / name, arcname=name)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with (folder / "archive.tar").open("rb") as source, partial.open("wb") as out:
            _encrypt(source, out, key)
        partial.chmod(0o600)
        partial.replace(target)
    return manifest


def read_manifest(source: Path, *, key: str | None = None) -> Manifest:
    with tempfile.TemporaryDirectory(prefix="kap-restore-") as tmp:
        return _open(source, Path(tmp), key)


def _open(source: Path, folder: Path, key: str | None) -> Manifest:
    key = key if key is not None else settings.BACKUP_ENCRYPTION_KEY
    plain = io.BytesIO() if source.stat().st_size < 64 * CHUNK_BYTES else (folder / "archive.tar").open("w+b")
    with source.open("rb") as handle:
        _decrypt(handle, plain, key)
    plain.seek(0)
    with tarfile.open(fileobj=plain, mode="r") as archive:
        archive.extractall(folder, filter="data")
    manifest = Manifest(**json.loads((folder / "manifest.json").read_text()))
    if manifest.format != FORMAT:
        raise BackupError(f"This backup is in format {manifest.format!r}; this version reads {FORMAT!r}.")
    for name, checksum in manifest.files.items():
        if not name.startswith("media/") and _sha256(folder / name) != checksum:
            raise BackupError(f"{name} in the backup does not match its checksum: the backup is damaged.")
    return manifest


def restore_backup(source: Path, *, key: str | None = None) -> RestoreReport:
    """Replace the database and the stored files with the backup's, then check them against its manifest."""
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="kap-restore-") as tmp:
        folder = Path(tmp)
        manifest = _open(source, folder, key)
        if manifest.engine != connection.vendor:
            raise BackupError(
                f"This backup is of a {manifest.engine} database; this application uses {connection.vendor}."
            )
        database = next(name for name in manifest.files if name.startswith("database."))
        _restore_database(folder / database)
        media_root.mkdir(parents=True, exist_ok=True)
        for child in media_root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        with tarfile.open(folder / "media.tar") as media:
            media.extractall(media_root, filter="data")
    return RestoreReport(manifest=manifest, problems=check_restored(manifest))


def check_restored(manifest: Manifest) -> list[str]:
    """What differs between the live database and files and the backup's manifest, in sentences."""
    from clinic.audit import verify_chain
    from clinic.encryption import UndecryptableValue, encrypted_fields

    problems = []
    live = table_summary()
    for table, expected in manifest.tables.items():
        found = live.get(table)
        if found is None:
            problems.append(f"table {table} is missing")
        elif found["rows"] != expected["rows"]:
            problems.append(f"table {table} has {found['rows']} rows; the backup had {expected['rows']}")
        elif found["sha256"] != expected["sha256"]:
            problems.append(f"table {table} differs from the backup")
    media_root = Path(settings.MEDIA_ROOT)
    for name, checksum in manifest.files.items():
        if name.startswith("media/"):
            path = media_root / name.removeprefix("media/")
            if not path.is_file() or _sha256(path) != checksum:
                problems.append(f"stored file {name.removeprefix('media/')} differs from the backup")
    _, broken = verify_chain()
    if broken is not None:
        problems.append(f"the audit chain is broken at entry {broken.sequence}: {broken.problem}")
    for model, names in encrypted_fields():
        try:
            for _ in model._default_manager.only("pk", *names).iterator(chunk_size=500):
                pass
        except UndecryptableValue as exc:
            problems.append(f"{exc} (is FIELD_ENCRYPTION_KEYS the one of the backup?)")
    return problems
