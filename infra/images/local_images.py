"""Image names → images in the local engine, with the operator's mapping and a bounded pull.

Berth machines usually reach no registry, so the images people name in their configs
(`gitpod/workspace-full`, devcontainer images) are mapped by the operator to local ones (by default
to `berth/base:latest`, made by scripts/base-image.sh). An image that is neither local nor
obtainable fails at once with `ImageNotFound`; a pull, when allowed, has a hard deadline.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import docker
import docker.errors
import requests
from docker.constants import DEFAULT_UNIX_SOCKET
from docker.utils import kwargs_from_env

from domain.errors import Unavailable
from infra.images.errors import ImageNotFound
from infra.images.spec import ResolvedImage

BASE_IMAGE = "berth/base:latest"

# Operator default: familiar workspace images run as Berth's base image.
DEFAULT_IMAGE_MAP: Mapping[str, str] = {
    "gitpod/workspace-full": BASE_IMAGE,
    "gitpod/workspace-base": BASE_IMAGE,
    "mcr.microsoft.com/devcontainers/base": BASE_IMAGE,
}

_DOCKER_HUB_PREFIXES = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")
_IMAGE_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")


def is_image_id(name: str) -> bool:
    return _IMAGE_ID.match(name) is not None


def normalize_reference(name: str) -> str:
    """`ubuntu` → `ubuntu:latest`, `docker.io/library/ubuntu:22.04` → `ubuntu:22.04`; ids unchanged."""
    ref = name.strip()
    if is_image_id(ref):
        return ref
    for prefix in _DOCKER_HUB_PREFIXES:
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    if "@" in ref:
        return ref
    if ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return ref


def split_reference(reference: str) -> tuple[str, str | None]:
    """A normalized reference as (repository, tag); the tag is None for a digest reference."""
    if "@" in reference:
        return reference, None
    repository, _, tag = reference.rpartition(":")
    return repository, tag


def repository_of(reference: str) -> str:
    """The reference without tag or digest: `gitpod/workspace-full:2024-01-01` → `gitpod/workspace-full`."""
    ref = reference.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}" if head else name


class ImageMap:
    """The operator's mapping. A key with a tag maps that tag only; a key without one maps every
    tag of the repository (`gitpod/workspace-full` covers `gitpod/workspace-full:2024-05-01`)."""

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        given = DEFAULT_IMAGE_MAP if mapping is None else mapping
        self.entries = {self._key(name): target for name, target in given.items()}

    @staticmethod
    def _key(name: str) -> str:
        ref = normalize_reference(name)
        explicit_tag = ":" in name.rsplit("/", 1)[-1] or "@" in name
        return ref if explicit_tag else repository_of(ref)

    def local_name(self, name: str) -> str:
        """The local image a name stands for (the name itself when unmapped)."""
        ref = normalize_reference(name)
        return self.entries.get(ref) or self.entries.get(repository_of(ref)) or name


class LocalImages:
    """Resolves image names against the local engine; usable as the cache key's `ImageResolver`."""

    def __init__(
        self,
        api: docker.APIClient,
        *,
        mapping: Mapping[str, str] | None = None,
        allow_pull: bool = False,
        pull_timeout: float = 20.0,
    ) -> None:
        self.api = api
        self.map = ImageMap(mapping)
        self.allow_pull = allow_pull
        self.pull_timeout = pull_timeout

    def local_name(self, name: str) -> str:
        return self.map.local_name(name)

    def __call__(self, name: str) -> ResolvedImage:
        return self.resolve(name)

    def resolve(self, name: str) -> ResolvedImage:
        local = self.local_name(name)
        info = self._inspect(local)
        if info is None and self.allow_pull and not is_image_id(local):
            self._pull(local)
            info = self._inspect(local)
        if info is None:
            raise ImageNotFound(name, self._why_missing(name, local))
        config: Mapping[str, Any] = info.get("Config") or {}
        env = dict(item.partition("=")[::2] for item in config.get("Env") or ())
        return ResolvedImage(id=str(info["Id"]), env=env, onbuild=tuple(config.get("OnBuild") or ()))

    def image_id(self, name: str) -> str:
        return self.resolve(name).id

    def materialize(self, name: str) -> str:
        """Make `name` itself a local tag of the image it resolves to, so a Dockerfile's `FROM name`
        finds it in the engine instead of trying a registry; returns the image id."""
        image_id = self.resolve(name).id
        if is_image_id(name):
            return image_id
        existing = self._inspect(name)
        if existing is None or existing.get("Id") != image_id:
            repository, tag = split_reference(normalize_reference(name))
            if tag is None:
                raise ImageNotFound(name, "a digest reference cannot be re-tagged locally")
            self._call(lambda: self.api.tag(image_id, repository, tag, force=True))
        return image_id

    # -- engine calls ---------------------------------------------------------------------------

    def _why_missing(self, name: str, local: str) -> str:
        mapped = f"it maps to {local!r}, which" if local != name else "it"
        if not self.allow_pull:
            return (
                f"{mapped} is not in the local engine, and pulling is disabled (allow_pull=False); "
                "build it, or map it to a local image (the base image is made by scripts/base-image.sh)"
            )
        return f"{mapped} is not in the local engine and could not be pulled"

    def _call(self, call: Any) -> Any:
        try:
            return call()
        except requests.exceptions.ConnectionError as error:
            raise Unavailable(f"the Docker engine is not reachable: {error}") from error

    def _inspect(self, name: str) -> dict[str, Any] | None:
        try:
            inspect = cast(Callable[[str], Mapping[str, Any]], self.api.inspect_image)
            info = self._call(lambda: inspect(name))
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as error:
            if error.status_code in (400, 404):  # an invalid reference is as absent as a missing one
                return None
            raise
        return dict(info)

    def _pull(self, name: str) -> None:
        """Pull with a hard deadline. The SDK's pull() waits forever (it passes timeout=None), and
        with no registry reachable the engine can sit in a connect for minutes, so the request is
        made here with a socket timeout and the stream is abandoned at the deadline."""
        repository, tag = split_reference(normalize_reference(name))
        params = {"fromImage": repository, **({"tag": tag} if tag else {})}
        deadline = time.monotonic() + self.pull_timeout
        url = f"{self.api.base_url}/v{self.api.api_version}/images/create"
        try:
            with self.api.post(url, params=params, stream=True, timeout=self.pull_timeout) as response:
                if response.status_code >= 400:
                    raise ImageNotFound(name, f"pull failed: {response.text.strip()[:300]}")
                for line in response.iter_lines():
                    if b'"error"' in line:
                        raise ImageNotFound(name, f"pull failed: {line.decode(errors='replace')[:300]}")
                    if time.monotonic() > deadline:
                        raise ImageNotFound(name, f"pull did not finish within {self.pull_timeout:g}s")
        except requests.exceptions.Timeout:
            raise ImageNotFound(name, f"pull did not answer within {self.pull_timeout:g}s") from None
        except requests.exceptions.ConnectionError as error:
            raise Unavailable(f"the Docker engine is not reachable: {error}") from error


# Only for the first, unversioned call that asks the engine which API version it speaks.
_PROBE_API_VERSION = "1.24"


def connect(timeout: int = 60) -> docker.APIClient:
    """A low-level client for the engine named by the environment (DOCKER_HOST, …), speaking the
    engine's own API version. Close it when done (`client.close()`).

    The SDK's own version detection runs inside the constructor, where a failure leaks the
    half-built client's socket; asking first with a client that is always closed avoids that."""
    settings = kwargs_from_env()
    _check_unix_socket(str(settings.get("base_url") or DEFAULT_UNIX_SOCKET))
    probe = docker.APIClient(version=_PROBE_API_VERSION, timeout=min(timeout, 10), **settings)
    try:
        server_version = str(probe.version(api_version=False)["ApiVersion"])
    except (requests.exceptions.RequestException, docker.errors.DockerException) as error:
        raise Unavailable(f"the Docker engine is not reachable: {error}") from error
    finally:
        probe.close()
    return docker.APIClient(version=server_version, timeout=timeout, **settings)


def _check_unix_socket(base_url: str) -> None:
    """Try a local engine's socket with a socket that is always closed: the SDK's transport leaks
    its socket when the connect fails, which would surface as a ResourceWarning."""
    for prefix in ("http+unix://", "unix://"):
        if base_url.startswith(prefix):
            path = base_url.removeprefix(prefix)
            break
    else:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        try:
            probe.connect(path)
        except OSError as error:
            raise Unavailable(f"the Docker engine is not reachable at {path}: {error}") from error
