"""The CLI's HTTP client of the gateway: where Berth is and who the user is, problem+json as errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from domain.errors import BerthError
from infra.settings import Settings

CREDENTIALS_FILE = "cli.json"


class ApiError(BerthError):
    """The gateway refused or failed a request; the message is its problem's detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{detail} (HTTP {status})")
        self.status = status


def save_credentials(settings: Settings, url: str, token: str) -> Path:
    """What `berth up` leaves for the CLI of the same user: the gateway's URL and a token (mode 600)."""
    path = settings.home / CREDENTIALS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text(json.dumps({"url": url, "token": token}))
    temporary.replace(path)
    return path


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    @classmethod
    def from_environment(cls, settings: Settings) -> Api:
        """BERTH_URL and BERTH_TOKEN, else what `berth up` saved."""
        saved: dict[str, str] = {}
        path = settings.home / CREDENTIALS_FILE
        if path.exists():
            saved = json.loads(path.read_text())
        url = os.environ.get("BERTH_URL") or saved.get("url")
        token = os.environ.get("BERTH_TOKEN") or saved.get("token")
        if not url or not token:
            raise BerthError("no Berth to talk to: run `make up` (or `berth up`) first, "
                             "or set BERTH_URL and BERTH_TOKEN")
        return cls(url, token)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **options: Any) -> Any:
        try:
            response = self.http.request(method, path, **options)
        except httpx.TransportError as error:
            raise BerthError(f"cannot reach Berth at {self.url}: {error}") from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _problem_detail(response))
        if response.headers.get("content-type", "").startswith("application/octet-stream"):
            return response
        return response.json() if response.content else None

    def events(self, workspace_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        """The workspace's events, stored then live (server-sent events), until the caller stops."""
        with self.http.stream("GET", f"/api/workspaces/{workspace_id}/events", params={"after": after},
                              timeout=httpx.Timeout(30, read=None)) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiError(response.status_code, _problem_detail(response))
            for line in response.iter_lines():
                if line.startswith("data:"):
                    yield json.loads(line[5:])


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text or response.reason_phrase
    detail = str(body.get("detail") or body.get("title") or body)
    if body.get("field"):
        detail += f" [field: {body['field']}]"
    return detail
