"""postgate's one settings class: every knob is a POSTGATE_ environment variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    sandbox_port: int = Field(default=8010, description="port of the embedded sandbox platform")
    sandbox_url: str = Field(default="", description="base URL of the sandbox platform; empty = embedded")
    followup_offsets: Annotated[list[int], NoDecode] = Field(
        default=[3600, 86400, 604800],
        description="seconds after publishing at which metrics are collected",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail notifications")
    smtp_port: int = 25
    smtp_from: str = Field(default="postgate@localhost", description="From address of e-mail notifications")
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server needs one")
    smtp_password: SecretStr | None = None

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
    def resolved_sandbox_url(self) -> str:
        return self.sandbox_url or f"http://127.0.0.1:{self.sandbox_port}"

    @cached_property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"
