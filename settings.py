"""postgate's one settings class: every knob is a POSTGATE_ environment variable."""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from platforms.outbound import OutboundPolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSTGATE_", env_file=".env", extra="ignore")

    temporal_address: str = Field(
        default="",
        description="host:port of a Temporal frontend; empty starts the embedded dev server",
    )
    temporal_namespace: str = "default"
    task_queue: str = "postgate"
    data_dir: Path = Path(".data")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under data_dir")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_port: int = Field(default=7233, description="embedded dev server gRPC port")
    temporal_ui_port: int = Field(default=8233, description="embedded dev server UI port")
    temporal_ui_url: str = Field(
        default="", description="base URL of the Temporal UI, for admins' links to a post's workflow; `dev` sets it"
    )
    sandbox_port: int = Field(default=8010, description="port of the embedded sandbox platform")
    sandbox_host: str = Field(
        default="127.0.0.1", description="address `postgate sandbox` listens on; 0.0.0.0 to reach it from elsewhere"
    )
    sandbox_url: str = Field(default="", description="base URL of the sandbox platform; empty = embedded")
    followup_offsets: Annotated[list[int], NoDecode] = Field(
        default=[3600, 86400, 604800],
        description="seconds after publishing at which metrics are collected",
    )
    credential_keys: SecretStr = Field(
        default=SecretStr(""),
        description="channel credential keys, 'key_id=base64 key' separated by commas; empty = a local key file",
    )
    credential_key_id: str = Field(default="", description="which of credential_keys encrypts; empty = the first")
    platform_concurrency: dict[str, int] = Field(
        default={}, description='calls in flight per platform in one worker, JSON e.g. {"x": 2}; others default'
    )
    publish_rate_per_minute: dict[str, float] = Field(
        default={}, description='publishes per minute per channel, by platform, JSON e.g. {"linkedin": 5}'
    )
    audit_signing_key_file: str = Field(
        default="", description="Ed25519 key signing audit checkpoints; empty = audit-signing.key in data_dir"
    )
    audit_checkpoint_every: int = Field(default=100, ge=1, description="sign a checkpoint every N audit entries")
    outbound_allow: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="networks and hosts postgate may connect to although they are loopback, private, link-local "
        "or metadata: CIDRs, addresses or host names, each optionally with :port, comma-separated",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="reverse proxies whose X-Forwarded-For names the caller (CIDRs, comma-separated); "
        "empty = the socket peer is the caller",
    )
    brand_rule_timeout: float = Field(
        default=0.25, gt=0, le=60, description="seconds one style rule may take on one text; over it is a finding"
    )
    brand_check_timeout: float = Field(
        default=2.0, gt=0, le=60, description="seconds all rules together may take on one text (per channel)"
    )
    agreement_check_every: float = Field(
        default=300, ge=0, description="seconds between the worker's store/workflow agreement checks; 0 = never"
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail notifications")
    smtp_port: int = 25
    smtp_from: str = Field(default="postgate@localhost", description="From address of e-mail notifications")
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server needs one")
    smtp_password: SecretStr | None = None
    oidc_issuer: str = Field(default="", description="OpenID provider's issuer URL; empty = no OIDC sign-in")
    oidc_client_id: str = Field(default="", description="postgate's client id at the OpenID provider")
    oidc_client_secret: SecretStr = Field(default=SecretStr(""), description="its secret; empty = a public client")
    oidc_redirect_url: str = Field(default="", description="public URL of /auth/oidc/callback; empty = as requested")
    oidc_scopes: str = Field(default="openid email profile", description="scopes asked for, space-separated")
    oidc_allow_signup: bool = Field(default=False, description="a verified e-mail with no account gets one")

    @field_validator("followup_offsets", mode="before")
    @classmethod
    def _parse_offsets(cls, value: object) -> object:
        # Accept "3600,86400" from the environment as well as a JSON list.
        if isinstance(value, str):
            text = value.strip().strip("[]")
            try:
                return [int(part) for part in text.split(",") if part.strip()]
            except ValueError as err:
                raise ValueError(f"'{value}' is not a comma-separated list of seconds, e.g. 3600,86400") from err
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        from api.client_address import parse_networks

        parse_networks(value)
        return value

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _parse_allow(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _check_allow(cls, value: list[str]) -> list[str]:
        from platforms.outbound import parse_entry

        for entry in value:
            parse_entry(entry)  # its ValueError says what is wrong with the entry
        return value

    @field_validator("followup_offsets")
    @classmethod
    def _check_offsets(cls, value: list[int]) -> list[int]:
        if not value or any(v < 0 for v in value):
            raise ValueError("followup_offsets needs at least one offset, none negative (seconds)")
        return sorted(value)

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'postgate.db').resolve()}"

    @cached_property
    def resolved_audit_signing_key_file(self) -> Path:
        return Path(self.audit_signing_key_file) if self.audit_signing_key_file else self.data_dir / "audit-signing.key"

    @cached_property
    def resolved_sandbox_url(self) -> str:
        return self.sandbox_url or f"http://127.0.0.1:{self.sandbox_port}"

    @cached_property
    def resolved_api_url(self) -> str:
        """Where this machine reaches the API these settings serve (a wildcard listen address means loopback)."""
        host = "127.0.0.1" if self.api_host in ("", "0.0.0.0") else "[::1]" if self.api_host == "::" else self.api_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.api_port}"

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        from api.client_address import parse_networks

        return parse_networks(self.trusted_proxies)

    @cached_property
    def outbound_policy(self) -> OutboundPolicy:
        """What outbound clients may reach: `outbound_allow`, plus the configured sandbox (the operator's own)."""
        from platforms.outbound import policy_of

        return policy_of(self.outbound_allow, self.resolved_sandbox_url)

    @cached_property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"
