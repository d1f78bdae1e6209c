"""An image spec's cache key: a hash of every input of the build, so the cache is never stale.

For a Dockerfile build the key covers the Dockerfile's bytes, the build args, the target, the id of
every image the build starts from or copies from (resolved locally through a callback), the ADD
URLs (as strings: they are not fetched) and every build-context entry a COPY, ADD or RUN bind
mount can read (content, type, permission bits, symlink target) after `.dockerignore`. Editing a
copied file changes the key; touching a file no instruction reads does not.

For an image given by name, the key is the local image id the name resolves to.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from domain.errors import InvalidInput
from infra.images.build_inputs import BuildInputs, find_build_inputs
from infra.images.context import ContextEntry, select_context
from infra.images.digest import ContentSink, digest_entries
from infra.images.dockerfile import parse_dockerfile
from infra.images.dockerignore import DockerIgnore
from infra.images.spec import DockerfileBuild, ImageRef, ImageResolver, ImageSpec, as_resolved

# Part of every key: bump it whenever what is hashed, or how, changes.
KEY_FORMAT = "berth-image-key/1"


@dataclass(frozen=True, slots=True)
class CacheKey:
    value: str  # "sha256:<64 hex digits>": an image id, or the hash of a build's inputs
    entries: int = 0  # build-context entries hashed
    bytes: int = 0  # file content bytes hashed
    images: tuple[tuple[str, str], ...] = ()  # (reference, local image id) the build uses
    remote_sources: tuple[str, ...] = ()  # ADD URLs, in the key as strings only
    notes: tuple[str, ...] = ()  # where the key covers more than the Dockerfile names, and why

    @property
    def hex(self) -> str:
        return self.value.partition(":")[2]

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """A Dockerfile build with its inputs worked out, ready to be hashed (and sent to the engine)."""

    build: DockerfileBuild
    dockerfile_bytes: bytes
    inputs: BuildInputs
    entries: tuple[ContextEntry, ...]

    def key(self, sink: ContentSink | None = None) -> CacheKey:
        """Hash the inputs; with a sink, also hand it every entry from the same read."""
        header = {
            "format": KEY_FORMAT,
            "dockerfile_sha256": hashlib.sha256(self.dockerfile_bytes).hexdigest(),
            "build_args": dict(sorted(self.build.build_args.items())),
            "target": self.build.target,
            "images": [list(pair) for pair in self.inputs.images],
            "remote_sources": list(self.inputs.remote_sources),
        }
        encoded = json.dumps(header, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        hasher = hashlib.sha256(b"%d\n%s" % (len(encoded), encoded))
        digest = digest_entries(self.entries, hasher, sink)
        return CacheKey(
            value=f"sha256:{digest.hexdigest}",
            entries=digest.entries,
            bytes=digest.bytes,
            images=self.inputs.images,
            remote_sources=self.inputs.remote_sources,
            notes=self.inputs.notes,
        )


def plan_build(build: DockerfileBuild, resolve: ImageResolver) -> BuildPlan:
    """Read the Dockerfile, work out what it reads, and list those context entries."""
    path = build.dockerfile_path
    try:
        dockerfile_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"no Dockerfile at {str(path)!r}", field="dockerfile") from None
    except IsADirectoryError:
        raise InvalidInput(f"{str(path)!r} is a directory, not a Dockerfile", field="dockerfile") from None
    dockerfile = parse_dockerfile(dockerfile_bytes.decode("utf-8", errors="surrogateescape"))
    inputs = find_build_inputs(dockerfile, resolve=resolve, build_args=build.build_args, target=build.target)
    entries = select_context(build.context, inputs.context_paths, DockerIgnore.load(build.context))
    return BuildPlan(build, dockerfile_bytes, inputs, tuple(entries))


def compute_cache_key(spec: ImageSpec, resolve: ImageResolver) -> CacheKey:
    """The cache key of an image spec; `resolve` maps an image name to the local image (id)."""
    if isinstance(spec, ImageRef):
        image = as_resolved(resolve(spec.name))
        return CacheKey(value=image.id, images=((spec.name, image.id),))
    return plan_build(spec, resolve).key()

