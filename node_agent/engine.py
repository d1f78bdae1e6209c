"""The Docker engine as the node agent uses it: one low-level client, and engine failures turned
into typed errors (`Unavailable` when dockerd cannot be reached, `EngineRequestFailed` when it refuses)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import requests
import urllib3.exceptions

from domain.errors import Unavailable
from infra.images.local_images import connect
from node_agent.errors import EngineRequestFailed

# Everything that means "no engine answered" rather than "the engine said no"; a stream that breaks
# in the middle (dockerd stopped during a backup) surfaces from urllib3 directly.
_UNREACHABLE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.ReadTimeoutError,
)


@contextlib.contextmanager
def engine_errors(doing: str) -> Iterator[None]:
    """Typed errors for the engine calls inside. `docker.errors.NotFound` passes through unchanged:
    only the caller knows whether a missing thing is an error, a no-op or an answer."""
    try:
        yield
    except docker.errors.NotFound:
        raise
    except _UNREACHABLE as error:
        raise Unavailable(f"the Docker engine is not reachable ({doing}): {error}") from error
    except docker.errors.APIError as error:
        raise EngineRequestFailed(doing, str(error.explanation or error)) from error


def status_of(error: docker.errors.APIError) -> int | None:
    return error.status_code


class Engine:
    """Owns the client; `api` is thread-safe enough for concurrent requests (urllib3 pools them)."""

    def __init__(self, api: docker.APIClient) -> None:
        self.api = api

    @classmethod
    def connect(cls, timeout: int = 60) -> Engine:
        return cls(connect(timeout))

    def close(self) -> None:
        self.api.close()

    def inspect_container(self, name: str) -> dict[str, Any]:
        return dict(self.api.inspect_container(name))

    def inspect_image(self, name: str) -> dict[str, Any]:
        return dict(self.api.inspect_image(name))  # type: ignore[no-untyped-call]

    @contextlib.contextmanager
    def archive_of(self, container: str, path: str, chunk_size: int = 1 << 20) -> Iterator[Iterator[bytes]]:
        """The tar stream of `path` in the container (running or not). Unlike the SDK's
        get_archive, the response is closed when the block exits, also when the reader stops
        early: an abandoned stream would otherwise hold a connection until garbage collection."""
        url = f"{self.api.base_url}/v{self.api.api_version}/containers/{container}/archive"
        # requests asks for gzip by default, and dockerd obliges with single-threaded gzip: 30 MB/s
        # instead of the ~150 MB/s of the plain tar, for a stream that is zstd-compressed anyway.
        response = self.api.get(url, params={"path": path}, stream=True, timeout=self.api.timeout,
                                headers={"Accept-Encoding": "identity"})
        try:
            try:
                response.raise_for_status()
            except requests.exceptions.HTTPError as error:
                docker.errors.create_api_error_from_http_exception(error)
            yield response.iter_content(chunk_size)
        finally:
            response.close()
