"""Builds workspace images with the local engine, reusing any image built from the same inputs.

`ImageBuilder.ensure(spec)` is the whole job: an image named by the spec resolves to a local image;
a Dockerfile spec gets its cache key (see cache_key.py) and, when an image tagged with that key
exists, is a hit without any build. Otherwise the context is sent as a tar written from the very
bytes the key was computed from (context_tar.py), the build log streams line by line to a callback
(the caller turns lines into events), and the result is tagged `berth/ws:<key hex>`.
"""

from __future__ import annotations

import collections
import hashlib
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import docker
import docker.errors
import requests

from domain.errors import TemporaryError, Unavailable
from infra.images.cache_key import BuildPlan, CacheKey, plan_build
from infra.images.context_tar import ContextTar
from infra.images.errors import ImageBuildFailed
from infra.images.local_images import LocalImages
from infra.images.spec import DockerfileBuild, ImageRef, ImageSpec

REPOSITORY = "berth/ws"
KEY_LABEL = "org.berth.cache-key"
LOG_TAIL_LINES = 30
# A context smaller than this is assembled in memory; a larger one spills to a temporary file.
_SPOOL_BYTES = 64 << 20

LogSink = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BuiltImage:
    image_id: str  # what to run: "sha256:…"
    tag: str | None  # berth/ws:<key hex> for a Dockerfile build, None for an image given by name
    key: CacheKey
    cache_hit: bool


class ImageBuilder:
    def __init__(self, api: docker.APIClient, images: LocalImages, *, repository: str = REPOSITORY) -> None:
        self.api = api
        self.images = images
        self.repository = repository

    def tag_for(self, key: CacheKey) -> str:
        return f"{self.repository}:{key.hex}"

    def key(self, spec: ImageSpec) -> CacheKey:
        if isinstance(spec, ImageRef):
            image_id = self.images.image_id(spec.name)
            return CacheKey(value=image_id, images=((spec.name, image_id),))
        return plan_build(spec, self.images).key()

    def lookup(self, key: CacheKey) -> str | None:
        """The id of the image already built for this key, if there is one."""
        inspect = cast(Callable[[str], Mapping[str, Any]], self.api.inspect_image)
        try:
            return str(_engine(lambda: inspect(self.tag_for(key)))["Id"])
        except docker.errors.NotFound:
            return None

    def ensure(self, spec: ImageSpec, on_log: LogSink | None = None) -> BuiltImage:
        """The image for a spec: resolved, found in the cache, or built."""
        if isinstance(spec, ImageRef):
            key = self.key(spec)
            return BuiltImage(key.value, None, key, cache_hit=True)
        plan = plan_build(spec, self.images)
        key = plan.key()
        cached = self.lookup(key)
        if cached is not None:
            return BuiltImage(cached, self.tag_for(key), key, cache_hit=True)
        return self.build(plan, on_log)

    def build(self, plan: BuildPlan, on_log: LogSink | None = None) -> BuiltImage:
        """Build unconditionally (`ensure` is the cached way in)."""
        self._materialize_images(plan)
        # A name of its own: the tar's .dockerignore hides it from COPY (see context_tar.py).
        dockerfile_name = f".berth-dockerfile-{hashlib.sha256(plan.dockerfile_bytes).hexdigest()[:12]}"
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as context:
            tar = ContextTar(context, dockerfile_name, plan.dockerfile_bytes)
            key = plan.key(sink=tar)  # the key of exactly what is sent (a file may have changed since)
            tar.finish()
            context.seek(0)
            tag = self.tag_for(key)
            image_id = self._run_build(plan.build, context, dockerfile_name, tag, key, on_log)
        return BuiltImage(image_id, tag, key, cache_hit=False)

    def _materialize_images(self, plan: BuildPlan) -> None:
        """Give every image the Dockerfile names a local tag under that name (the engine would try a
        registry otherwise), and check it is still the image the key was computed with."""
        for reference, image_id in plan.inputs.images:
            current = self.images.materialize(reference)
            if current != image_id:
                raise TemporaryError(f"image {reference!r} changed while the build was prepared; try again")

    def _run_build(
        self,
        build: DockerfileBuild,
        context: Any,
        dockerfile_name: str,
        tag: str,
        key: CacheKey,
        on_log: LogSink | None,
    ) -> str:
        tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL_LINES)

        def log(line: str) -> None:
            tail.append(line)
            if on_log is not None:
                on_log(line)

        try:
            stream = self.api.build(
                fileobj=context,
                custom_context=True,
                dockerfile=dockerfile_name,
                tag=tag,
                buildargs=dict(build.build_args),
                target=build.target,
                labels={KEY_LABEL: key.value},
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
            )
            image_id = _follow(stream, log)
        except docker.errors.APIError as error:
            raise ImageBuildFailed(_api_message(error), list(tail)) from error
        except requests.exceptions.ConnectionError as error:
            raise Unavailable(f"the Docker engine is not reachable: {error}") from error
        except _StreamError as error:
            raise ImageBuildFailed(str(error), list(tail)) from None
        if image_id is None:
            image_id = self.lookup(key)
            if image_id is None:
                raise ImageBuildFailed("the engine reported success but no image is tagged", list(tail))
        return image_id


class _StreamError(Exception):
    pass


def _follow(stream: Iterable[Mapping[str, Any]], log: LogSink) -> str | None:
    """Read the engine's JSON build stream: log lines out, the image id (or the error) back."""
    image_id: str | None = None
    failure: str | None = None
    partial = ""
    # The stream is read to its end even after an error (the engine ends it right after), so the
    # connection goes back to the client's pool instead of being left half-read.
    for message in stream:
        text = message.get("stream")
        if isinstance(text, str):
            partial += text
            *lines, partial = partial.split("\n")
            for line in lines:
                log(line.rstrip("\r"))
        status = message.get("status")
        if isinstance(status, str):
            log(status)
        aux = message.get("aux")
        if isinstance(aux, Mapping) and isinstance(aux.get("ID"), str):
            image_id = str(aux["ID"])
        error = message.get("error")
        if error is not None and failure is None:
            failure = str(error).strip()
    if partial:
        log(partial)
    if failure is not None:
        raise _StreamError(failure)
    return image_id


def _api_message(error: docker.errors.APIError) -> str:
    explanation = getattr(error, "explanation", None)
    return str(explanation or error)


def _engine(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    try:
        return call()
    except requests.exceptions.ConnectionError as error:
        raise Unavailable(f"the Docker engine is not reachable: {error}") from error
