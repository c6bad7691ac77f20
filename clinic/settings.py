"""Django settings, read from the environment by clinic.config (see README, "Configuration")."""

from __future__ import annotations

import base64
import os
import sys
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from django.utils.csp import CSP
from kombu import Queue

from clinic.config import field_encryption_keys, load

# Generic admin and form classes (ModelAdmin[Patient]) for the type checker, without silencing it at each.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or os.environ.get("KAP_TESTING") == "1"
_environ = dict(os.environ)
if TESTING:
    # The suite runs with production-like settings; only the key and the HTTPS redirect are test-specific.
    _environ.setdefault("SECRET_KEY", "test-only-key-" + "t" * 50)
    _environ.setdefault("SECURE_SSL_REDIRECT", "0")
    # A fixed, obviously fake key; exported so that the processes the tests start (workers, manage.py) share it.
    os.environ.setdefault(
        "FIELD_ENCRYPTION_KEYS", base64.urlsafe_b64encode(b"test-only-field-key-not-a-secret").decode()
    )
    _environ.setdefault("FIELD_ENCRYPTION_KEYS", os.environ["FIELD_ENCRYPTION_KEYS"])
    # Tests that need them turn these on (tests/security/); the rest of the suite signs in with force_login and
    # makes many API calls from one address in a few seconds.
    _environ.setdefault("MFA_REQUIRED_FOR_STAFF", "0")
    for _name in ("API_THROTTLE_ANON", "API_THROTTLE_USER", "API_THROTTLE_SIGN_IN"):
        _environ.setdefault(_name, "100000/minute")
CONFIG = load(_environ, BASE_DIR)
# Encryption at rest (clinic.encryption, docs/security.md): the first key encrypts, every key decrypts.
FIELD_ENCRYPTION_KEYS = field_encryption_keys(_environ, CONFIG.debug, BASE_DIR)

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "clinic.apps.ClinicConfig",
    "intake.apps.IntakeConfig",
    "sessions.apps.TreatmentSessionsConfig",
    "integration.apps.IntegrationConfig",
    "messaging.apps.MessagingConfig",
    "portal.apps.PortalConfig",
    "clinic.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # exclusion constraints of sessions (created on PostgreSQL only)
    "clinic.security.apps.SecurityConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinic.middleware.RequestIdMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "clinic.security.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinic.security.middleware.SessionPolicyMiddleware",
    "clinic.middleware.AuditContextMiddleware",
    "clinic.middleware.RefusalAuditMiddleware",
    "clinic.middleware.SharedReadsMiddleware",
    "clinic.middleware.SiteTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.input_guard.QueryStringGuard",  # after the messages: a page says what it left out
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a sign-in refused by the lockout into the "try again later" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "clinic.context_processors.clinic",
                "clinic.security.context_processors.session_timeout",
            ],
        },
    },
    {
        # Plain text (email subjects and text bodies, clinic.emails): the same templates without HTML escaping, so
        # "O'Neil & Sons" stays as typed. Pages and HTML bodies use the engine above, which escapes.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "clinic.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username and address before the password is checked (docs/security.md, "Lockout").
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files: the filesystem under MEDIA_ROOT, or object storage from STORAGE_URL (clinic/config.py).
STORAGES = {
    "default": CONFIG.storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"

# Email
MAILERS = {"default": CONFIG.email}
DEFAULT_FROM_EMAIL = CONFIG.default_from_email
SERVER_EMAIL = CONFIG.default_from_email

# Text messages (clinic/sms.py), from SMS_URL; the suite keeps them in memory unless a test sets SMS_URL.
SMS_BACKEND = (
    {"BACKEND": "clinic.sms.LocmemBackend", "OPTIONS": {}} if TESTING and not _environ.get("SMS_URL") else CONFIG.sms
)

# Reminders (clinic/reminders/): retry mechanics and leases are operations settings; when a reminder is due is
# the clinical protocol's (clinic/protocol.py, section "reminders").
REMINDERS = CONFIG.reminders
# Links in emails (a staff alert's "open it in the clinic" link) are absolute, on this address.
CLINIC_BASE_URL = CONFIG.base_url

# Security
SECURE_SSL_REDIRECT = CONFIG.secure_ssl_redirect
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
if CONFIG.secure_proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style without the request's nonce ({{ csp_nonce }}); pico's icons are data: SVG images.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=(), xr-spatial-tracking=()"
)

# Sign-in, sessions and tokens (clinic.security, docs/security.md)
SECURITY = CONFIG.security
MFA_REQUIRED_FOR_STAFF = SECURITY.mfa_required_for_staff
SIGN_IN_HELP = SECURITY.sign_in_help
SESSION_IDLE_SECONDS_STAFF = SECURITY.idle_timeout_staff_min * 60
SESSION_IDLE_SECONDS_PATIENT = SECURITY.idle_timeout_patient_min * 60
SESSION_IDLE_WARNING_SECONDS = 120
SESSION_MAX_SECONDS = SECURITY.session_max_hours * 60 * 60
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
BACKUP_ENCRYPTION_KEY = SECURITY.backup_encryption_key
OTP_TOTP_ISSUER = os.environ.get("CLINIC_NAME", "KAP Clinic")
# Lockout (django-axes): a username from one address; another address (the real user at the clinic) still signs in.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = SECURITY.login_failure_limit
AXES_COOLOFF_TIME = timedelta(minutes=SECURITY.login_lockout_min)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the page can then say when the pause ends
AXES_LOCKOUT_CALLABLE = "clinic.security.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "clinic.security.lockout.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # clinic.security.admin shows lockouts to clinic administrators, with "lift the pause"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no authenticator keys or recovery codes in the admin

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a missing or expired token answers 401 with `WWW-Authenticate: Token`.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": SECURITY.api_throttle_anon,
        "user": SECURITY.api_throttle_user,
        "sign_in": SECURITY.api_throttle_sign_in,
    },
    "NUM_PROXIES": SECURITY.reverse_proxy_count,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "clinic.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [
        "clinic.input_guard.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [],
    "EXCEPTION_HANDLER": "clinic.api.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}
# API tokens (django-rest-knox): stored as hashes, one per device, expiring; `Authorization: Token <token>`.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=SECURITY.api_token_ttl_hours),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAP Clinic API",
    "DESCRIPTION": "Intake screening, dosing sessions and integration therapy for ketamine-assisted psychotherapy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several answers have a `status`: one name per set of statuses, whichever answer carries it.
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "sessions.models.SessionStatus",
        "CourseStatusEnum": "sessions.models.CourseStatus",
        "AppointmentStatusEnum": "sessions.models.AppointmentStatus",
        "RemsStatusEnum": "sessions.api.serializers.REMS_STATUSES",
        "VitalPhaseEnum": "sessions.models.VitalPhase",
        "ReportStatusEnum": "clinic.reports.models.ReportStatus.choices",
        "KindEnum": "sessions.models.AdverseEventKind",  # the name it had before other "kind" choices came
        "AppointmentRequestKindEnum": "sessions.models.RequestKind",
        "AppointmentRequestStatusEnum": "sessions.models.RequestStatus",
        "MyAppointmentKindEnum": "sessions.api.me.APPOINTMENT_KINDS",
    },
}

# Cache: shared between web and worker processes (Redis, or files under var/ in embedded mode).
if CONFIG.redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CONFIG.redis_url}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
        }
    }

# Celery: Redis when REDIS_URL is set; otherwise the embedded mode, a real worker and beat on kombu's
# filesystem transport with a file result backend under var/celery (no Redis needed).
CELERY_ROOT = Path(os.environ.get("CELERY_FS_ROOT") or BASE_DIR / "var" / "celery")
if CONFIG.redis_url:
    CELERY_BROKER_URL = CONFIG.redis_url
    CELERY_RESULT_BACKEND = CONFIG.redis_url
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    for folder in ("queue", "processed", "results", "control"):
        (CELERY_ROOT / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_ROOT / "queue"),
        "data_folder_out": str(CELERY_ROOT / "queue"),
        "processed_folder": str(CELERY_ROOT / "processed"),
        "control_folder": str(CELERY_ROOT / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_ROOT / 'results'}"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = CONFIG.celery_always_eager
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# A worker without -Q consumes every queue listed here (make run, docker compose). Reminders are sent by tasks of
# their own (a batch each) on the "reminders" queue, so a backlog of other work never delays one; "reports" keeps
# PDF rendering (seconds per document) from delaying short tasks: `celery -A clinic worker -Q reports` gives it
# workers of its own.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("reminders"), Queue("reports"))
CELERY_TASK_ROUTES = {
    "clinic.tasks.send_reminders": {"queue": "reminders"},
    "clinic.tasks.send_reminder": {"queue": "reminders"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "heartbeat": {"task": "clinic.tasks.heartbeat", "schedule": 60.0},
    "send-due-reminders": {"task": "clinic.tasks.send_due_reminders", "schedule": 60.0},
    "intake-expire-screenings": {"task": "intake.tasks.expire_screenings", "schedule": 3600.0},
    # The questionnaires the cadence asks for (clinical protocol §5), announced and nudged as reminders.
    "integration-plan-questionnaires": {"task": "integration.tasks.plan_questionnaire_reminders", "schedule": 900.0},
    # REMS forms close to their deadline alert the care team, by email too.
    "sessions-rems-deadlines": {"task": "sessions.tasks.alert_rems_deadlines", "schedule": 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO" if not TESTING else "WARNING"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

CLINIC_NAME = os.environ.get("CLINIC_NAME", "KAP Clinic")
