"""Settings from the environment (BERTH_*): switching modes is configuration only (DESIGN.md section 4)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationError

from domain.errors import InvalidInput


class Mode(StrEnum):
    EMBEDDED = "embedded"
    DISTRIBUTED = "distributed"


class Settings(BaseModel):
    mode: Mode = Mode.EMBEDDED
    home: Path = Field(default_factory=lambda: Path.home() / ".berth")
    pg_dsn: str = "postgresql://postgres@127.0.0.1:15432/berth"
    pg_schema: str = "public"
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_prefix: str = "berth."
    """Topics are `<prefix><stream type>` (infra/kafka/topics.py): another prefix keeps two Berths (or test runs)
    sharing one cluster apart. The relay, every worker and every node agent of one Berth need the same one."""
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    domain: str = "berth.localhost"
    """Workspaces are `<id>.ws.<domain>`. Browsers resolve every `*.localhost` name to this machine, but they
    keep a cookie set for plain `localhost` to that host alone; under `berth.localhost` the login cookie
    reaches every workspace host, so the IDE opens without a second login."""
    ide_port: int = Field(default=23000, ge=1, le=65535)
    ssh_port: int = Field(default=2222, ge=1, le=65535)
    node: str = "local"
    node_capacity: int | None = Field(default=None, ge=1)
    """How many workspace instances this node runs at once; None = derived from its CPUs and memory."""
    retention_days: float = Field(default=14.0, gt=0)
    """An unpinned workspace stopped (or failed) this long is deleted. Fractional, so tests can use seconds."""
    supervisor_binary: Path | None = None
    secrets_key: SecretStr | None = None
    """The key that encrypts users' environment variable values in the event log (infra/secrets.py): 32 bytes
    as base64 or 64 hex digits. Unset: a key generated once in `<home>/secrets.key` (mode 600). Every process
    of one Berth (gateway, node agents) must use the same key."""

    @property
    def database(self) -> Path:
        """The embedded mode's one SQLite file: event log, tracking and read models."""
        return self.home / "berth.db"

    @property
    def dashboard_url(self) -> str:
        # The configured domain, not the bind address: the login cookie set there also reaches the
        # workspace hosts below it (`*.ws.localhost`), so opening the IDE needs no second login.
        return f"http://{self.domain}:{self.port}/"

    @classmethod
    def from_env(cls, environ: dict[str, str]) -> Settings:
        prefix = "BERTH_"
        values = {
            key[len(prefix):].lower(): value
            for key, value in environ.items()
            if key.startswith(prefix) and key[len(prefix):].lower() in cls.model_fields
        }
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            name = f"BERTH_{str(first['loc'][0]).upper()}"
            raise InvalidInput(f"{name}: {first['msg']}", field=name) from None
