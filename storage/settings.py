"""Configuration: environment variables prefixed ``HOLOS_``, also read from ``.env``.

A malformed value raises :class:`SettingsError`, naming the variable and never echoing
the value (it may be a secret); the CLI prints that one line and exits with code 2.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from storage.catalog import (
    DEFAULT_CATEGORIES,
    DEFAULT_PROGRAMMES,
    Catalog,
    Programme,
    with_sla_overrides,
)
from storage.enums import Language
from storage.errors import DomainError

log = logging.getLogger("holos.settings")

MIN_SECRET_CHARS = 32
# Enough to refuse a typo; the mail server has the last word (a bounce is shown).
EMAIL_ADDRESS = re.compile(r"[^@\s,<>]{1,64}@[^@\s,<>]{1,252}\.[^@\s,<>.]{2,63}")


class SettingsError(Exception):
    """One clear line naming the setting that stops start-up."""


class ContactEntry(BaseModel):
    """A phone line shown to reporters: the mission hotline or a safe-referral service."""

    phone: str = Field(min_length=2, max_length=40)
    names: dict[Language, str]
    # Whether the service keeps what callers tell it confidential (112 does not promise it).
    confidential: bool = False
    # Sensitive categories it is shown for; empty means every sensitive category.
    categories: list[str] = Field(default_factory=list)


class ProgrammeEntry(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    names: dict[Language, str]


class SlaOverride(BaseModel):
    acknowledge_hours: float | None = Field(default=None, gt=0)
    resolve_hours: float | None = Field(default=None, gt=0)


SENSITIVE_CATEGORIES = ["fraud_corruption", "sexual_exploitation", "trafficking"]
SEA_AND_TRAFFICKING = ["sexual_exploitation", "trafficking"]

# Real, free lines in Ukraine, named as they name themselves; each sensitive category
# shows those that fit it. 112 is an emergency number, not a confidential service.
DEFAULT_REFERRAL_CONTACTS: list[dict[str, Any]] = [
    {
        "phone": "112",
        "names": {
            "en": "Emergency services (police, ambulance, rescue)",
            "uk": "Єдиний номер екстрених служб (поліція, швидка, рятувальники)",
            "ru": "Единый номер экстренных служб (полиция, скорая, спасатели)",
        },
        "confidential": False,
        "categories": SENSITIVE_CATEGORIES,
    },
    {
        "phone": "1547",
        "names": {
            "en": "Government hotline on domestic violence, human trafficking and gender "
            "discrimination",
            "uk": "Урядова гаряча лінія з питань протидії домашньому насильству, торгівлі "
            "людьми та гендерній дискримінації",
            "ru": "Правительственная горячая линия по вопросам противодействия домашнему "
            "насилию, торговле людьми и гендерной дискриминации",
        },
        "confidential": True,
        "categories": SEA_AND_TRAFFICKING,
    },
    {
        "phone": "116 123",
        "names": {
            "en": "La Strada-Ukraine national hotline (adults) on domestic violence, human "
            "trafficking and gender discrimination",
            "uk": "Національна гаряча лінія «Ла Страда-Україна» (для дорослих) з питань "
            "запобігання домашньому насильству, торгівлі людьми та гендерній дискримінації",
            "ru": "Национальная горячая линия «Ла Страда-Украина» (для взрослых) по вопросам "
            "предотвращения домашнего насилия, торговли людьми и гендерной дискриминации",
        },
        "confidential": True,
        "categories": SEA_AND_TRAFFICKING,
    },
    {
        "phone": "116 111",
        "names": {
            "en": "La Strada-Ukraine national child helpline (children and young people)",
            "uk": "Національна дитяча гаряча лінія «Ла Страда-Україна» (для дітей і молоді)",
            "ru": "Национальная детская горячая линия «Ла Страда-Украина» (для детей и молодёжи)",
        },
        "confidential": True,
        "categories": SEA_AND_TRAFFICKING,
    },
    {
        "phone": "527",
        "names": {
            "en": "National hotline on countering human trafficking and advising migrants "
            "(from a mobile; 0 800 505 501 from a landline)",
            "uk": "Національна гаряча лінія з питань протидії торгівлі людьми та "
            "консультування мігрантів (з мобільного; 0 800 505 501 зі стаціонарного)",
            "ru": "Национальная горячая линия по вопросам противодействия торговле людьми и "
            "консультирования мигрантов (с мобильного; 0 800 505 501 со стационарного)",
        },
        "confidential": True,
        "categories": ["trafficking"],
    },
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOLOS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    # Telegram
    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None

    # Where data lives
    data_dir: Path = Path("var")
    database_url: str = ""
    blob_dir: Path | None = None
    redis_url: str | None = None

    # Keys: the current secret, and earlier ones that still decrypt and still find receipt codes.
    secret_key: SecretStr | None = None
    # A file holding the secret (e.g. a mounted secret), read at start; never in the data dir.
    secret_key_file: Path | None = None
    old_secret_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)

    # HTTP API
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)  # 0: any free port
    api_token_ttl_hours: float = Field(default=12, gt=0)
    api_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Interactive docs at /docs: off outside the sandbox unless asked for.
    api_docs: bool = False
    # Prometheus metrics on their own listener, loopback by default (never the public app).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)  # 0: any free port
    # Reverse proxies whose X-Forwarded-For (and -Proto) is believed (addresses or
    # networks, comma-separated). From anyone else the headers are ignored: a client
    # could forge them.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Where people reach the API and console (behind the TLS proxy): https:// marks the
    # console's cookies Secure although the proxy speaks plain HTTP to us.
    public_url: str | None = None
    # The bot's Telegram username (what getMe says), for public links to it
    # (https://t.me/<name>) and the link staff open to link their own Telegram: the API
    # process does not talk to Telegram to learn it (the bot asks at start when unset).
    bot_username: str | None = Field(default=None, pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")

    # Conversation
    default_language: Language = Language.UK
    timezone: str = "Europe/Kyiv"
    hotline_phone: str | None = None
    hotline_hours: str | None = None
    referral_contacts: list[ContactEntry] = Field(
        default_factory=lambda: [ContactEntry.model_validate(c) for c in DEFAULT_REFERRAL_CONTACTS]
    )
    programmes: list[ProgrammeEntry] = Field(
        default_factory=lambda: [
            ProgrammeEntry(code=p.code, names={Language(k): v for k, v in p.names.items()})
            for p in DEFAULT_PROGRAMMES
        ]
    )
    sla_overrides: dict[str, SlaOverride] = Field(default_factory=dict)

    # Limits
    narrative_max_chars: int = Field(default=6000, ge=100)
    attachments_max_count: int = Field(default=10, ge=0, le=50)
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    receipt_failures_per_hour: int = Field(default=5, ge=1)
    receipt_global_failures_per_hour: int = Field(default=1000, ge=1)
    # Past the global count, a person's first lookup of the hour waits this long (seconds).
    receipt_pressure_delay_seconds: float = Field(default=5.0, ge=0, le=60)
    # A person's daily quotas (issue 10): reports, and attachment megabytes received.
    reports_per_day: int = Field(default=10, ge=1)
    attachment_mb_per_day: int = Field(default=50, ge=1)
    # Files are decoded in capped worker processes (issue 18 §3, storage.media.workers).
    media_workers: int = Field(default=2, ge=1, le=16)
    media_worker_memory_mb: int = Field(default=1024, ge=128)
    media_worker_cpu_seconds: int = Field(default=120, ge=5)
    receipt_hash_time_cost: int = Field(default=2, ge=1)
    receipt_hash_memory_kib: int = Field(default=12288, ge=8)
    # The anonymous web form (/report, /status): off until the mission links it.
    # Limits without identifying anyone: per address (a hash under a key held only in
    # memory and changed daily), and for the whole form.
    web_form: bool = False
    web_reports_per_address_per_hour: int = Field(default=5, ge=1)
    web_reports_per_hour: int = Field(default=300, ge=1)
    # A feedback point's page (/r/<code>, always served: its poster prints the link).
    # Higher than for reports: at a distribution many people answer, often from one
    # mobile network's shared address.
    web_responses_per_address_per_hour: int = Field(default=30, ge=1)
    web_responses_per_hour: int = Field(default=3000, ge=1)
    # The longest period one stats query or export may cover, in days.
    stats_max_days: int = Field(default=366, ge=1, le=3660)

    # Retention (docs/privacy-rules.md)
    draft_ttl_hours: float = Field(default=24, gt=0)
    chat_link_days: float = Field(default=30, gt=0)
    # A case waiting for the reporter this long is closed with the outcome "no response".
    waiting_close_days: float = Field(default=14, gt=0)
    content_retention_days: float = Field(default=365, gt=0)
    audit_retention_days: float = Field(default=5 * 365, gt=0)

    # Staff alerts (README "Alerts"): e-mail through an SMTP server, smtp:// with
    # STARTTLS or smtps:// with TLS, user and password in the URL.
    smtp_url: SecretStr | None = None
    smtp_from: str = Field(default="holos@localhost", min_length=3, max_length=254)
    # A private CA to trust for the mail server's certificate (beside the system's).
    smtp_ca_file: Path | None = None
    # The sandbox shows sent mail on a page instead of sending it.
    mail_sink: bool = False
    # Where a sealed case nobody acknowledged in time is escalated: addresses outside
    # the mission's line (e.g. the organisation's investigation office), comma-separated.
    escalation_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)
    escalation_after_hours: float = Field(default=12, gt=0)
    # How often the alert worker scans for overdue cases and sends what is queued.
    alert_interval_seconds: float = Field(default=10, gt=0, le=15)
    # The local hour (HOLOS_TIMEZONE) from which the daily digest of what is due goes out.
    digest_hour: int = Field(default=8, ge=0, le=23)

    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")

    @field_validator("old_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        import ipaddress

        for part in value:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError("lists something that is not an IP address or network") from None
        return value

    @field_validator("escalation_emails", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for part in value:
            if not EMAIL_ADDRESS.fullmatch(part):
                raise ValueError("lists something that is not an e-mail address")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("must be smtp://host[:port] (STARTTLS) or smtps://host[:port]")
        return value

    @field_validator("secret_key", "old_secret_keys")
    @classmethod
    def _long_enough(cls, value: Any) -> Any:
        keys = value if isinstance(value, list) else [value]
        for key in keys:
            if key is not None and len(key.get_secret_value()) < MIN_SECRET_CHARS:
                raise ValueError(f"must have at least {MIN_SECRET_CHARS} characters")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone (e.g. Europe/Kyiv)") from None
        return value

    @field_validator("bot_username")
    @classmethod
    def _without_at(cls, value: str | None) -> str | None:
        return value.removeprefix("@") if value else value

    @field_validator("telegram_api_url", "webhook_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _derived_paths(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'holos.db'}"
        if self.blob_dir is None:
            self.blob_dir = self.data_dir / "blobs"
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("HOLOS_WEBHOOK_SECRET is required when HOLOS_WEBHOOK_URL is set")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def catalog(self) -> Catalog:
        overrides = {
            code: override.model_dump(exclude_none=True)
            for code, override in self.sla_overrides.items()
        }
        try:
            categories = with_sla_overrides(DEFAULT_CATEGORIES, overrides)
        except DomainError as exc:
            raise SettingsError(f"HOLOS_SLA_OVERRIDES: {exc.message}") from None
        programmes = tuple(
            Programme(p.code, {str(k): v for k, v in p.names.items()}) for p in self.programmes
        )
        return Catalog(categories=categories, programmes=programmes)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (and ``.env``); raise :class:`SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except SourceError as exc:
        # Raised before validation, e.g. for a JSON setting that is not JSON.
        match = re.search(r'field "(\w+)"', str(exc))
        name = f"HOLOS_{match.group(1).upper()}" if match else "a setting"
        raise SettingsError(f"{name} is malformed: it is not valid JSON") from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors(include_input=False, include_url=False)[0]
    location = [str(part) for part in error["loc"]]
    if location:
        name = "HOLOS_" + location[0].upper()
        detail = ".".join(location[1:])
        where = f"{name} ({detail})" if detail else name
    else:
        where = "configuration"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where} is malformed: {message}"


def resolve_secret_keys(settings: Settings) -> list[bytes]:
    """The secret keys, current first. Generates ``<data_dir>/secret.key`` on first run.

    The secret never lives in the database: a stolen database alone reveals neither
    receipt codes nor encrypted content.
    """
    if settings.secret_key is not None:
        current = settings.secret_key.get_secret_value().encode()
    elif settings.secret_key_file is not None:
        current = _read_secret_file(settings.secret_key_file)
    else:
        current = _file_secret(settings.data_dir / "secret.key")
    return [current, *(k.get_secret_value().encode() for k in settings.old_secret_keys)]


def has_configured_secret(settings: Settings) -> bool:
    """Whether the key comes from outside the data directory (required outside the sandbox)."""
    return settings.secret_key is not None or settings.secret_key_file is not None


def _read_secret_file(path: Path) -> bytes:
    try:
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise SettingsError(f"HOLOS_SECRET_KEY_FILE {path} cannot be read") from None
    if len(value) < MIN_SECRET_CHARS:
        raise SettingsError(
            f"HOLOS_SECRET_KEY_FILE {path} is malformed: a secret key needs "
            f"{MIN_SECRET_CHARS}+ characters"
        )
    return value.encode()


def _file_secret(path: Path) -> bytes:
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if len(value) < MIN_SECRET_CHARS:
            raise SettingsError(
                f"{path} is malformed: a secret key needs {MIN_SECRET_CHARS}+ chars"
            )
        return value.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _file_secret(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    log.warning(
        "secret_key_generated path=%s: HOLOS_SECRET_KEY is unset, so a new key was written "
        "there. Back it up: without it receipt codes and encrypted content cannot be read.",
        path,
    )
    return value.encode()
