"""Blob storage for backups and other large artifacts: a contract (`BlobStore`) and its implementations."""

from infra.blobs.errors import BlobNotFound, BlobReadFailed, BlobWriteFailed, InvalidBlobKey
from infra.blobs.local import LocalBlobStore
from infra.blobs.store import BlobInfo, BlobStore, ByteSource, ProgressCallback

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobReadFailed",
    "BlobStore",
    "BlobWriteFailed",
    "ByteSource",
    "InvalidBlobKey",
    "LocalBlobStore",
    "ProgressCallback",
]
