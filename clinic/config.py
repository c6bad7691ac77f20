"""Reading settings from the environment, strictly.

django-environ parses URLs (DATABASE_URL, EMAIL_URL, REDIS_URL); this module adds what it does not do: a malformed
value stops start-up with `ImproperlyConfigured` naming the variable (django-environ silently reads "maybe" as
False), in the manner of healthchecks' `envbool`. It also reads the URLs django-environ does not know: an anymail
EMAIL_URL (`anymail://ESP?option=value`) and SMS_URL (clinic/sms.py).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def _list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


SQLITE_OPTIONS = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}


def _database(env: Mapping[str, str], base_dir: Path, conn_max_age: int) -> dict[str, Any]:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(base_dir / "var" / "db.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    scheme = urlparse(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL has scheme {scheme!r}: use postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH."
        )
    try:
        config: dict[str, Any] = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several kinds; the message must name the variable
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
    if config["ENGINE"].endswith("sqlite3"):
        # Several processes (web, worker, `send_due_reminders`) share the file: each transaction takes the write lock
        # when it begins, so two never both read and then both try to write (SQLite would refuse one at once).
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    if config["ENGINE"].endswith("postgresql"):
        if not config.get("NAME"):
            raise ImproperlyConfigured("DATABASE_URL names no database: add /NAME at the end.")
        config["CONN_MAX_AGE"] = conn_max_age
        config["CONN_HEALTH_CHECKS"] = True
        # Django's own default is RunPython-safe READ COMMITTED; state it so a server default cannot change it.
        config.setdefault("OPTIONS", {})["isolation_level"] = 1
    return config


def _query(query: str) -> dict[str, str]:
    """`a=1&b=%2B1555` as a dict; unlike parse_qs, a literal "+" stays a plus (phone numbers)."""
    pairs = (item.partition("=") for item in query.split("&") if item)
    return {unquote(key): unquote(value) for key, _, value in pairs}


def _anymail(raw: str) -> dict[str, Any]:
    """`anymail://ESP?option=value&...`: django-anymail's backend for ESP (postmark, mailgun, amazon_ses, ...), the
    query giving the ESP's settings (api_key, server_token, sender_domain, ...) as the backend's options."""
    parsed = urlparse(raw)
    esp = parsed.hostname or ""
    if not esp or not esp.replace("_", "").isalnum():
        raise ImproperlyConfigured(
            f"EMAIL_URL={raw!r} names no email provider: use anymail://ESP?option=value, e.g. "
            "anymail://postmark?server_token=..."
        )
    return {"BACKEND": f"anymail.backends.{esp}.EmailBackend", "OPTIONS": _query(parsed.query)}


def _email(env: Mapping[str, str], debug: bool, base_dir: Path) -> dict[str, Any]:
    """The default mailer in Django 6.1's MAILERS form, from EMAIL_URL (smtp://, smtp+tls://, console://,
    anymail://ESP?...). SMTP gets a timeout (EMAIL_TIMEOUT, 30 s): a send that hangs must end well within a
    reminder's lease (docs/architecture.md, "Reminders")."""
    raw = env.get("EMAIL_URL", "").strip()
    timeout = _int(env, "EMAIL_TIMEOUT", default=30, minimum=1)
    if not raw:
        if debug:
            return {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": str(base_dir / "var" / "mail")},
            }
        return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {"timeout": timeout}}
    if raw.startswith("anymail:"):
        return _anymail(raw)
    try:
        parsed: dict[str, Any] = environ.Env.email_url_config(raw)
    except Exception as exc:
        raise ImproperlyConfigured(f"EMAIL_URL could not be parsed: {exc}") from None
    if not parsed.get("EMAIL_BACKEND"):
        raise ImproperlyConfigured(
            f"EMAIL_URL={raw!r} has an unknown scheme: use smtp://, smtp+tls://, console:// or anymail://ESP."
        )
    options = {
        "host": parsed.get("EMAIL_HOST"),
        "port": parsed.get("EMAIL_PORT"),
        "username": parsed.get("EMAIL_HOST_USER") or None,
        "password": parsed.get("EMAIL_HOST_PASSWORD") or None,
        "use_tls": parsed.get("EMAIL_USE_TLS") or None,
        "use_ssl": parsed.get("EMAIL_USE_SSL") or None,
        "file_path": parsed.get("EMAIL_FILE_PATH"),
    }
    backend = parsed["EMAIL_BACKEND"]
    allowed = (
        {"host", "port", "username", "password", "use_tls", "use_ssl"}
        if backend.endswith("smtp.EmailBackend")
        else {"file_path"}
    )
    chosen = {k: v for k, v in options.items() if k in allowed and v not in (None, "")}
    if backend.endswith("smtp.EmailBackend"):
        chosen["timeout"] = timeout
    return {"BACKEND": backend, "OPTIONS": chosen}


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _sms(env: Mapping[str, str], debug: bool, base_dir: Path) -> dict[str, Any]:
    """The text-message backend (clinic/sms.py) from SMS_URL:

    - `console://`: each message is written to the log (logger "clinic.sms");
    - `file:///ABSOLUTE/DIR`: each message is appended to DIR/messages.jsonl (the default with DEBUG on: var/sms);
    - `locmem://`: kept in memory (tests);
    - `twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=+15550100` (or `messaging_service_sid=MG...`): Twilio's
      REST Messages API over HTTPS; `twilio+http://...@127.0.0.1:PORT?...` only for a fake server on this machine.

    Unset with DEBUG off: text messages are not configured, and a reminder by text message fails visibly.
    """
    raw = env.get("SMS_URL", "").strip()
    if not raw:
        if debug:
            return {"BACKEND": "clinic.sms.FileBackend", "OPTIONS": {"directory": str(base_dir / "var" / "sms")}}
        return {"BACKEND": "clinic.sms.DisabledBackend", "OPTIONS": {}}
    parsed = urlparse(raw)
    scheme = parsed.scheme
    if scheme == "console":
        return {"BACKEND": "clinic.sms.ConsoleBackend", "OPTIONS": {}}
    if scheme == "locmem":
        return {"BACKEND": "clinic.sms.LocmemBackend", "OPTIONS": {}}
    if scheme == "file":
        if not parsed.path.startswith("/") or parsed.netloc:
            raise ImproperlyConfigured(f"SMS_URL={raw!r}: use file:///ABSOLUTE/DIRECTORY (three slashes).")
        return {"BACKEND": "clinic.sms.FileBackend", "OPTIONS": {"directory": unquote(parsed.path)}}
    if scheme in {"twilio", "twilio+http"}:
        return {"BACKEND": "clinic.sms.TwilioBackend", "OPTIONS": _twilio(raw, parsed.hostname, scheme)}
    raise ImproperlyConfigured(
        f"SMS_URL has scheme {scheme!r}: use console://, file:///DIR, locmem:// or twilio://SID:TOKEN@api.twilio.com"
        "?from=+1555..."
    )


def _twilio(raw: str, host: str | None, scheme: str) -> dict[str, Any]:
    parsed = urlparse(raw)
    query = _query(parsed.query)
    sid, token = unquote(parsed.username or ""), unquote(parsed.password or "")
    if not sid.startswith("AC") or not token:
        raise ImproperlyConfigured(
            "SMS_URL needs the Twilio account SID (AC...) and auth token: twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com"
        )
    sender, service = query.pop("from", ""), query.pop("messaging_service_sid", "")
    if bool(sender) == bool(service):
        raise ImproperlyConfigured("SMS_URL needs exactly one of ?from=+1555... or ?messaging_service_sid=MG...")
    if sender and not (sender.startswith("+") and sender[1:].isdigit()):
        raise ImproperlyConfigured(f"SMS_URL from={sender!r} is not a phone number in E.164 form such as +15550100.")
    if scheme == "twilio+http" and host not in LOOPBACK_HOSTS:
        raise ImproperlyConfigured("SMS_URL twilio+http:// is only for a test server on 127.0.0.1: use twilio://.")
    country = query.pop("country_code", "+1")
    if query:
        raise ImproperlyConfigured(f"SMS_URL has unknown options: {', '.join(sorted(query))}.")
    netloc = (host or "api.twilio.com") + (f":{parsed.port}" if parsed.port else "")
    return {
        "account_sid": sid,
        "auth_token": token,
        "from_number": sender,
        "messaging_service_sid": service,
        "base_url": f"{'http' if scheme == 'twilio+http' else 'https'}://{netloc}",
        "country_code": country,
    }


def _base_url(env: Mapping[str, str]) -> str:
    raw = env.get("CLINIC_BASE_URL", "http://localhost:8000").strip().rstrip("/")
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname or parsed.path:
        raise ImproperlyConfigured(
            f"CLINIC_BASE_URL={raw!r} is not the address of the clinic's site, e.g. https://clinic.example.org."
        )
    return raw


@dataclass(frozen=True)
class ReminderOperations:
    """How reminder delivery retries (operations settings; when reminders are due is the clinical protocol's)."""

    max_attempts: int = 5
    retry_base_seconds: int = 60
    retry_max_seconds: int = 3600
    lease_seconds: int = 600
    batch_size: int = 200
    send_batch_size: int = 20


def _reminder_operations(env: Mapping[str, str]) -> ReminderOperations:
    return ReminderOperations(
        max_attempts=_int(env, "REMINDER_MAX_ATTEMPTS", default=5, minimum=1),
        retry_base_seconds=_int(env, "REMINDER_RETRY_BASE_SECONDS", default=60, minimum=1),
        retry_max_seconds=_int(env, "REMINDER_RETRY_MAX_SECONDS", default=3600, minimum=1),
        lease_seconds=_int(env, "REMINDER_LEASE_SECONDS", default=600, minimum=2),
        batch_size=_int(env, "REMINDER_BATCH_SIZE", default=200, minimum=1),
        send_batch_size=_int(env, "REMINDER_SEND_BATCH", default=20, minimum=1),
    )


def _redis_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"redis", "rediss"} or not parsed.hostname:
        raise ImproperlyConfigured(f"REDIS_URL={raw!r} is not a redis:// or rediss:// URL with a host.")
    return raw


def _secret_key(env: Mapping[str, str], debug: bool, base_dir: Path) -> str:
    key = env.get("SECRET_KEY", "").strip()
    if key:
        if not debug and len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY is too short for production: use at least 50 random characters.")
        return key
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    # Development only: a random key kept under var/, never in the repository.
    path = base_dir / "var" / "dev-secret-key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    return key


FIELD_KEYS_HELP = (
    "Each key is 32 random bytes in url-safe base64 (44 characters), newest first, separated by commas; make one "
    "with: python3 -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'"
)


def field_encryption_keys(env: Mapping[str, str], debug: bool, base_dir: Path) -> tuple[str, ...]:
    """FIELD_ENCRYPTION_KEYS: the Fernet keys of clinic.encryption, newest (the one that encrypts) first.

    Required when DEBUG is off. With DEBUG on and none given, a development key is kept under var/, like the
    development SECRET_KEY. Losing every key that encrypted a value loses that value: keep them with the backups.
    """
    raw = env.get("FIELD_ENCRYPTION_KEYS", "").strip()
    if not raw:
        if not debug:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS is required when DEBUG is off. {FIELD_KEYS_HELP}")
        path = base_dir / "var" / "dev-field-encryption-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        raw = path.read_text().strip()
    keys = tuple(key.strip() for key in raw.split(","))
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
        except (ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a valid key. {FIELD_KEYS_HELP}"
            )
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS names the same key twice; list each key once.")
    return keys


_RATE = re.compile(r"^[1-9][0-9]*/(second|minute|hour|day)$")


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A DRF throttle rate such as 60/minute."""
    raw = env.get(name, "").strip() or default
    if not _RATE.match(raw):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: write requests per second, minute, hour or day, for example 60/minute."
        )
    return raw


def backup_encryption_key(env: Mapping[str, str]) -> str:
    """BACKUP_ENCRYPTION_KEY: the Fernet key that encrypts backups (clinic.backup); only the backup commands need it."""
    raw = env.get("BACKUP_ENCRYPTION_KEY", "").strip()
    if not raw:
        return ""
    try:
        valid = len(base64.urlsafe_b64decode(raw.encode("ascii"))) == 32 and len(raw) == 44
    except (ValueError, UnicodeEncodeError):
        valid = False
    if not valid:
        raise ImproperlyConfigured(f"BACKUP_ENCRYPTION_KEY is not a valid key. {FIELD_KEYS_HELP}")
    return raw


@dataclass(frozen=True)
class SecurityConfig:
    """Sign-in, sessions, API tokens and throttles (docs/security.md)."""

    mfa_required_for_staff: bool
    login_failure_limit: int
    login_lockout_min: int
    reverse_proxy_count: int
    idle_timeout_staff_min: int
    idle_timeout_patient_min: int
    session_max_hours: int
    api_token_ttl_hours: int
    api_throttle_anon: str
    api_throttle_user: str
    api_throttle_sign_in: str
    sign_in_help: str
    backup_encryption_key: str


def _security(env: Mapping[str, str], debug: bool) -> SecurityConfig:
    return SecurityConfig(
        mfa_required_for_staff=_bool(env, "MFA_REQUIRED_FOR_STAFF", default=not debug),
        login_failure_limit=_int(env, "LOGIN_FAILURE_LIMIT", default=5, minimum=1),
        login_lockout_min=_int(env, "LOGIN_LOCKOUT_MINUTES", default=15, minimum=1),
        reverse_proxy_count=_int(env, "REVERSE_PROXY_COUNT", default=0),
        idle_timeout_staff_min=_int(env, "SESSION_IDLE_MINUTES_STAFF", default=15, minimum=3),
        idle_timeout_patient_min=_int(env, "SESSION_IDLE_MINUTES_PATIENT", default=30, minimum=3),
        session_max_hours=_int(env, "SESSION_MAX_HOURS", default=12, minimum=1),
        api_token_ttl_hours=_int(env, "API_TOKEN_TTL_HOURS", default=12, minimum=1),
        api_throttle_anon=_rate(env, "API_THROTTLE_ANON", "60/minute"),
        api_throttle_user=_rate(env, "API_THROTTLE_USER", "1200/minute"),
        api_throttle_sign_in=_rate(env, "API_THROTTLE_SIGN_IN", "10/minute"),
        sign_in_help=env.get("SIGN_IN_HELP", "").strip() or "the clinic's front desk or your clinic administrator",
        backup_encryption_key=backup_encryption_key(env),
    )


def _time_zone(env: Mapping[str, str]) -> str:
    name = env.get("CLINIC_TIME_ZONE", "America/New_York").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"CLINIC_TIME_ZONE={name!r} is not an IANA time zone (for example America/New_York)."
        ) from None
    return name


# STORAGE_URL query options passed to django-storages' S3Storage (the rest of its settings are fixed below).
S3_OPTIONS = {"endpoint_url": str, "region_name": str, "addressing_style": str, "signature_version": str,
              "custom_domain": str, "querystring_expire": int}  # fmt: skip


def _storage(env: Mapping[str, str]) -> dict[str, Any]:
    """Where uploaded and generated files go (Django's STORAGES["default"]), from STORAGE_URL: empty for the
    filesystem under MEDIA_ROOT, `file:///PATH` for another folder, or `s3://BUCKET/PREFIX?endpoint_url=...` for S3 or
    any S3-compatible object store through django-storages (credentials from the usual AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY variables, or the machine's role). Files stay private: downloads go through the views,
    which check who asks, or through short-lived signed URLs."""
    raw = env.get("STORAGE_URL", "").strip()
    if not raw:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parsed = urlparse(raw)
    if parsed.scheme == "file" and parsed.path:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": parsed.path}}
    if parsed.scheme != "s3" or not parsed.hostname:
        raise ImproperlyConfigured(
            f"STORAGE_URL={raw!r} is not a storage: use s3://BUCKET/PREFIX?endpoint_url=... or file:///PATH."
        )
    options: dict[str, Any] = {"bucket_name": parsed.hostname, "location": parsed.path.strip("/"),
                               "default_acl": None, "querystring_auth": True, "file_overwrite": True}  # fmt: skip
    for name, value in _query(parsed.query).items():
        kind = S3_OPTIONS.get(name)
        if kind is None:
            raise ImproperlyConfigured(f"STORAGE_URL has an unknown option {name!r}: use {', '.join(S3_OPTIONS)}.")
        try:
            options[name] = kind(value)
        except ValueError:
            raise ImproperlyConfigured(f"STORAGE_URL option {name}={value!r} is not a whole number.") from None
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


@dataclass(frozen=True)
class Config:
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    secure_ssl_redirect: bool
    secure_proxy_ssl_header: bool
    database: dict[str, Any]
    redis_url: str | None
    email: dict[str, Any]
    sms: dict[str, Any]
    base_url: str
    reminders: ReminderOperations
    default_from_email: str
    time_zone: str
    conn_max_age: int
    celery_always_eager: bool
    hsts_seconds: int
    security: SecurityConfig
    storage: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def load(env: Mapping[str, str], base_dir: Path) -> Config:
    """Read every setting; raise ImproperlyConfigured naming the first bad variable."""
    debug = _bool(env, "DEBUG", default=False)
    conn_max_age = _int(env, "DB_CONN_MAX_AGE", default=600)
    return Config(
        debug=debug,
        secret_key=_secret_key(env, debug, base_dir),
        allowed_hosts=_list(env, "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]),
        csrf_trusted_origins=_list(env, "CSRF_TRUSTED_ORIGINS", []),
        secure_ssl_redirect=_bool(env, "SECURE_SSL_REDIRECT", default=not debug),
        secure_proxy_ssl_header=_bool(env, "SECURE_PROXY_SSL_HEADER", default=False),
        database=_database(env, base_dir, conn_max_age),
        redis_url=_redis_url(env),
        email=_email(env, debug, base_dir),
        sms=_sms(env, debug, base_dir),
        base_url=_base_url(env),
        reminders=_reminder_operations(env),
        default_from_email=env.get("DEFAULT_FROM_EMAIL", "KAP Clinic <no-reply@clinic.invalid>"),
        time_zone=_time_zone(env),
        conn_max_age=conn_max_age,
        celery_always_eager=_bool(env, "CELERY_ALWAYS_EAGER", default=False),
        hsts_seconds=_int(env, "SECURE_HSTS_SECONDS", default=0 if debug else 31_536_000),
        security=_security(env, debug),
        storage=_storage(env),
    )
