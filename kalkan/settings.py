"""The only settings module. Everything an operator may change comes from the environment.

KALKAN_DATA_DIR      the instance directory made by `kalkan init` (secret key, SQLite database)
DATABASE_URL         postgres://user:pass@host/name for PostgreSQL; SQLite in the data dir if unset
KALKAN_ALLOWED_HOSTS comma-separated host names (default: localhost,127.0.0.1,[::1])
KALKAN_STAFF_HOSTS   host names that serve the staff side (the staff onion); empty = any host
KALKAN_STAFF_PORT    the local port the staff onion forwards to (`kalkan serve` listens on it)
KALKAN_HTTPS         true when served over HTTPS (secure cookies, HSTS); false for plain onion/local
KALKAN_IDLE_MINUTES  staff sessions end after this many idle minutes (default 30)
KALKAN_REAUTH_MINUTES how long a re-authentication covers sensitive actions (default 10)
KALKAN_LOCKOUT_FAILURES, KALKAN_LOGIN_DELAY_MAX_MINUTES  the growing delay after failed logins
KALKAN_LOGIN_REFUSAL_SECONDS  every refused login takes at least this long (default 2)
KALKAN_TOTP_ISSUER   the name authenticator apps show beside the code (default Kalkan)
KALKAN_REPORTS_PER_VISITOR  reports one browser may send per hour (default 12)
KALKAN_REPORTS_PER_MINUTE, KALKAN_RECEIPT_TRIES_PER_MINUTE  limits for everyone together
KALKAN_PAGE_SIZE     rows per page in staff lists: inbox, cases, tasks, audit log... (default 50)
KALKAN_THREADS       request threads of the single server process (default 8)
KALKAN_CONNECTIONS, KALKAN_IDLE_SECONDS  open connections held at once (500), idle cut-off (120 s)
KALKAN_PUBLICATION_THRESHOLD, KALKAN_PUBLICATION_K  the publication gate (default 10, 5; >= 5)
KALKAN_DEBUG         never in production
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from kalkan.core.env import envbool, envint, envlist, envstr
from kalkan.core.instance import read_secret_key

BASE_DIR = Path(__file__).resolve().parent

_data_dir = envstr("KALKAN_DATA_DIR")
if not _data_dir:
    raise ImproperlyConfigured("KALKAN_DATA_DIR is not set: pass --data-dir DIR or set it")
DATA_DIR = Path(_data_dir).expanduser().absolute()
SECRET_KEY = read_secret_key(DATA_DIR)

DEBUG = envbool("KALKAN_DEBUG", False)
ALLOWED_HOSTS = envlist("KALKAN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
HTTPS = envbool("KALKAN_HTTPS", False)
# The staff side is served only to requests for these host names (its own onion service
# with client authorisation, deploy/torrc.snippet) that arrive on STAFF_PORT, the local port
# only the staff onion forwards to; anything else answers 404 for every staff URL. The port
# is required with the hosts: a visitor of the public onion chooses the Host header and
# could name the staff onion in it. Empty: staff pages on any allowed host (demo, dev).
STAFF_HOSTS = [host.lower().rstrip(".") for host in envlist("KALKAN_STAFF_HOSTS", [])]
STAFF_PORT = envint("KALKAN_STAFF_PORT", 0, minimum=0, maximum=65535)
if STAFF_HOSTS and not STAFF_PORT:
    raise ImproperlyConfigured(
        "KALKAN_STAFF_HOSTS needs KALKAN_STAFF_PORT: the local port only the staff onion uses"
    )
ALLOWED_HOSTS = [*ALLOWED_HOSTS, *(h for h in STAFF_HOSTS if h not in ALLOWED_HOSTS)]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "kalkan.core",
    "kalkan.audit",
    "kalkan.accounts",
    "kalkan.vault",
    "kalkan.intake",
    "kalkan.desk",
    "kalkan.records",
    "kalkan.analysis",
    "kalkan.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kalkan.core.middleware.SecurityHeadersMiddleware",
    # Before sessions, locale redirects and the views: a staff URL on the public host is a
    # plain 404 that touches nothing.
    "kalkan.accounts.middleware.StaffHostMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the body: large bodies are refused unread.
    "kalkan.core.bodies.BodyLimitMiddleware",
    "kalkan.core.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kalkan.accounts.middleware.IdleTimeoutMiddleware",
    "kalkan.vault.middleware.VaultMiddleware",
    "kalkan.accounts.staff_gate.StaffGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kalkan.urls"
WSGI_APPLICATION = "kalkan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = envstr("DATABASE_URL")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise ImproperlyConfigured("DATABASE_URL: only postgres:// URLs are supported")
        try:
            config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        except ValueError as e:
            raise ImproperlyConfigured(f"DATABASE_URL: {e}") from None
        config["ENGINE"] = "django.db.backends.postgresql"
        return config
    return {
        "ENGINE": "kalkan.core.sqlite_queue",  # SQLite, writers queued in-process
        "NAME": DATA_DIR / "kalkan.sqlite3",
        # Each server thread keeps its connection a minute (as with PostgreSQL) instead of
        # opening one, with its four PRAGMAs, for every request.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # WAL keeps readers and the writer apart; FULL sync so an acknowledged write
            # survives a crash; secure_delete overwrites freed pages instead of leaving them.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
                "PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
# Staff passphrases are checked by the vault (one Argon2id run gives the login verifier and
# the key that unlocks the person's keys); Django's password field stays unusable. Argon2
# remains the hasher for anything that ever calls set_password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 20},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# Accounts: failed logins slow down the account (never an address: behind Tor every client
# is 127.0.0.1). From the LOCKOUT_FAILURES-th failure on, each counted failure makes the
# account wait, doubling from LOGIN_DELAY_FIRST_SECONDS up to LOGIN_DELAY_MAX_MINUTES; what
# is tried while it waits is refused and not counted (kalkan.accounts.services explains
# why a stranger cannot keep the owner out). Every refusal takes at least
# LOGIN_REFUSAL_SECONDS, so its duration tells nothing about the cause.
LOCKOUT_FAILURES = envint("KALKAN_LOCKOUT_FAILURES", 5, minimum=3, maximum=20)
LOGIN_DELAY_FIRST_SECONDS = 30
LOGIN_DELAY_MAX_MINUTES = envint("KALKAN_LOGIN_DELAY_MAX_MINUTES", 5, minimum=1, maximum=15)
LOGIN_REFUSAL_SECONDS = envint("KALKAN_LOGIN_REFUSAL_SECONDS", 2, minimum=1, maximum=30)
# Kalkan's own delay above covers codes too; django-otp's per-device throttle would be a
# second lock with no cap that `kalkan staff unlock` does not clear.
OTP_TOTP_THROTTLE_FACTOR = 0
IDLE_MINUTES = envint("KALKAN_IDLE_MINUTES", 30, minimum=2, maximum=12 * 60)
STAFF_PAGE_SIZE = envint("KALKAN_PAGE_SIZE", 50, minimum=1, maximum=500)
REAUTH_MINUTES = envint("KALKAN_REAUTH_MINUTES", 10, minimum=1, maximum=60)
# The name authenticator apps show next to the code: choose something neutral, since a
# phone searched at a checkpoint shows it.
# The vault (security.md): Argon2id for each staff passphrase, tuned to about 0.6 s on a
# 2-core server (3 passes over 256 MiB; see benchmarks/vault.py), at most this many at once
# so that parallel logins cannot exhaust memory.
VAULT_OPSLIMIT = envint("KALKAN_ARGON2_PASSES", 3, minimum=1, maximum=20)
VAULT_MEMLIMIT = envint("KALKAN_ARGON2_MEMORY_MIB", 256, minimum=8, maximum=4096) * 1024 * 1024
VAULT_UNLOCK_CONCURRENCY = envint("KALKAN_UNLOCK_CONCURRENCY", 2, minimum=1, maximum=16)
VAULT_UNLOCK_WAIT_SECONDS = 30
# How often the server forgets working sets whose sessions have expired.
VAULT_SWEEP_SECONDS = 60
# The first unlock in a process builds the working set in a thread of its own: the person
# sees how far it is and can use the pages that do without it; nobody else waits.
WORKING_SET_IN_BACKGROUND = True
# An archive import runs in a thread of its own (kalkan.records.import_jobs): the page says
# how far it is instead of one request that lasts minutes.
IMPORT_IN_BACKGROUND = True
# Estimates (LCMCR's sampler) run in a worker process of their own
# (kalkan.analysis.estimation_jobs), not in the thread that serves the page.
ESTIMATE_IN_BACKGROUND = True
# Receipts (83 random bits) go through a keyed hash (docs/threat-model.md, "Receipts"). These
# are the Argon2id limits of mailboxes made before that (receipt_scheme 1), still found.
RECEIPT_OPSLIMIT = 2
RECEIPT_MEMLIMIT = 64 * 1024 * 1024
RECEIPT_FAILURE_DELAY = 1.0  # seconds before "no mailbox opens with this receipt"

# Intake: where the quick-exit control on every public page goes (a neutral site), and
# limits for uploads (a report and each follow-up).
QUICK_EXIT_URL = envstr("KALKAN_QUICK_EXIT_URL", "https://www.wikipedia.org/")
# Rate limits (kalkan/intake/limits.py): (count, seconds) per visitor, kept in an encrypted
# cookie the visitor holds (nothing per visitor on the server), and for everyone together, in
# memory, far above real load (a visitor who drops the cookie counts as many). Per visitor,
# stored reports and receipts that open nothing count; globally, every attempt.
INTAKE_LIMITS = {
    "receipt": {
        "visitor": (5, 600),
        "global": (envint("KALKAN_RECEIPT_TRIES_PER_MINUTE", 30, minimum=1, maximum=600), 60),
    },
    "submission": {
        # An outreach worker may enter several incidents from one browser.
        "visitor": (envint("KALKAN_REPORTS_PER_VISITOR", 12, minimum=1, maximum=200), 3600),
        "global": (envint("KALKAN_REPORTS_PER_MINUTE", 30, minimum=1, maximum=600), 60),
    },
}
INTAKE_MAX_FILE_BYTES = envint("KALKAN_MAX_FILE_MB", 20, minimum=1, maximum=500) * 1048576
INTAKE_MAX_REPORT_BYTES = (
    envint("KALKAN_MAX_REPORT_MB", 50, minimum=1, maximum=2000) * 1024 * 1024
)
INTAKE_MAX_FILES = envint("KALKAN_MAX_FILES", 10, minimum=1, maximum=50)
OTP_TOTP_ISSUER = envstr("KALKAN_TOTP_ISSUER", "Kalkan")

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "kalkan_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = HTTPS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A backstop for the idle timeout: the server forgets a session this long after its last use.
SESSION_COOKIE_AGE = IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
CSRF_COOKIE_NAME = "kalkan_csrf"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = HTTPS
# Uploads over Tor are slow: the CSRF cookie outlives a long form session.
CSRF_COOKIE_AGE = 12 * 3600
CSRF_FAILURE_VIEW = "kalkan.core.views.csrf_failure"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "ru"
LANGUAGES = [
    ("ru", "Русский"),
    ("ky", "Кыргызча"),
    ("kk", "Қазақша"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Files Kalkan writes are for the service account only (Django's default is world-readable).
FILE_UPLOAD_PERMISSIONS = 0o600
# No file reaches memory or the temporary directory through Django's own handlers: views
# that take files install handlers that stream into encryption (kalkan/core/bodies.py).
FILE_UPLOAD_HANDLERS = ["kalkan.core.bodies.RefuseFiles"]
# Any other request whose declared body is larger is refused before it is read (413).
MAX_BODY_BYTES = envint("KALKAN_MAX_BODY_BYTES", 1024 * 1024, minimum=64 * 1024,
                        maximum=64 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the package when collectstatic has not run (tests, first start).
WHITENOISE_USE_FINDERS = True

# No request bodies, IP addresses or user agents in logs: Django's request logger, which
# prints paths and client details on errors, is silenced; errors go to stderr without detail.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "stderr": {"class": "logging.StreamHandler"},
        "null": {"class": "logging.NullHandler"},
    },
    "loggers": {
        "django.request": {"handlers": ["null"], "propagate": False},
        "django.security": {"handlers": ["null"], "propagate": False},
        "django.server": {"handlers": ["null"], "propagate": False},
        "django": {"handlers": ["stderr"], "level": "WARNING"},
    },
}

# The response desk. A detained person nobody has reached for this many hours raises an
# alert; `kalkan escalate` (run by a systemd timer) does the checking and sends alerts.
KALKAN_DETENTION_NO_CONTACT_HOURS = envint(
    "KALKAN_DETENTION_NO_CONTACT_HOURS", 6, minimum=1, maximum=7 * 24
)
# The publication gate (kalkan.analysis.gate): counts below the threshold are never published
# and case summaries are k-anonymous; neither may be below 5 (a clear error at start).
KALKAN_PUBLICATION_THRESHOLD = envint("KALKAN_PUBLICATION_THRESHOLD", 10, minimum=5, maximum=100)
KALKAN_PUBLICATION_K = envint("KALKAN_PUBLICATION_K", 5, minimum=5, maximum=100)
# Where alert links point (the onion or intranet address staff use), without a path.
KALKAN_BASE_URL = envstr("KALKAN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Content-free alerts go by e-mail through this SMTP server, and/or as a POST to a webhook.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = envstr("KALKAN_SMTP_HOST", "")
EMAIL_PORT = envint("KALKAN_SMTP_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = envstr("KALKAN_SMTP_USER", "")
EMAIL_HOST_PASSWORD = envstr("KALKAN_SMTP_PASSWORD", "")
EMAIL_USE_TLS = envbool("KALKAN_SMTP_STARTTLS", True)
EMAIL_USE_SSL = envbool("KALKAN_SMTP_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = envstr("KALKAN_ALERT_FROM", "alerts@localhost")
KALKAN_ALERT_WEBHOOK = envstr("KALKAN_ALERT_WEBHOOK", "")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("KALKAN_SMTP_STARTTLS and KALKAN_SMTP_TLS: choose one")
