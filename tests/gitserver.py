"""Real git servers for tests: bare repositories on disk, served by `git daemon` (git://) and by
`git http-backend` behind a small HTTP server (smart HTTP, what GitHub and GitLab speak).

Repositories are written with pygit2 (no working tree, no git identity needed) and the servers are
the git binaries themselves, so what a test resolves or fetches went through a real git protocol
exchange. Everything listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import unquote

import pygit2
from pygit2.enums import FileMode

_EPOCH = 1_700_000_000
"""Commit times count up from here, so the same content written twice gets the same shas."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _git_environment(home: Path) -> dict[str, str]:
    """An environment that keeps the host's git configuration out of the servers."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}


class BareRepo:
    """A bare repository that tests write commits and refs into."""

    def __init__(self, path: Path, repo: pygit2.Repository) -> None:
        self.path = path
        self.repo = repo
        self._clock = _EPOCH

    @classmethod
    def create(cls, path: Path, *, head: str = "main", allow_sha_want: bool = True) -> BareRepo:
        """A new empty repository whose HEAD names branch `head`.

        `allow_sha_want` lets clients fetch any commit by its sha, as GitHub and GitLab allow; a plain
        `git daemon` does not, and then only refs can be fetched.
        """
        repo = pygit2.init_repository(str(path), bare=True, initial_head=head)
        if allow_sha_want:
            repo.config["uploadpack.allowAnySHA1InWant"] = True
        return cls(path, repo)

    def commit(self, branch: str, files: Mapping[str, str | None], message: str = "change", *,
               parent: str | None = None) -> str:
        """Commit `files` (None deletes one) on top of `parent` (default: the branch tip) and move
        `refs/heads/<branch>` there. Returns the new commit's sha."""
        ref = f"refs/heads/{branch}"
        if parent is None and ref in self.repo.references:
            parent = str(self.repo.references[ref].target)
        content = self._files_of(parent) if parent else {}
        for name, text in files.items():
            if text is None:
                content.pop(name, None)
            else:
                content[name] = self.repo.create_blob(text.encode())
        sha = self._write_commit(content, message, parent)
        self.set_ref(ref, sha)
        return sha

    def detached_commit(self, parent: str, files: Mapping[str, str], message: str = "change") -> str:
        """A commit on no branch (what a pull request's head is, seen from the base repository)."""
        content = self._files_of(parent)
        content.update({name: self.repo.create_blob(text.encode()) for name, text in files.items()})
        return self._write_commit(content, message, parent)

    def set_ref(self, name: str, sha: str) -> None:
        self.repo.references.create(name, pygit2.Oid(hex=sha), force=True)

    def tag(self, name: str, sha: str, *, annotated: bool) -> None:
        if annotated:
            self.repo.create_tag(name, pygit2.Oid(hex=sha), pygit2.enums.ObjectType.COMMIT, self._signature(),
                                 f"release {name}\n")
        else:
            self.set_ref(f"refs/tags/{name}", sha)

    def _write_commit(self, content: dict[str, pygit2.Oid], message: str, parent: str | None) -> str:
        tree = self._write_tree(content)
        signature = self._signature()
        parents = [pygit2.Oid(hex=parent)] if parent else []
        return str(self.repo.create_commit(None, signature, signature, f"{message}\n", tree, parents))

    def _signature(self) -> pygit2.Signature:
        self._clock += 60
        return pygit2.Signature("Berth Test", "test@berth.invalid", self._clock, 0)

    def _files_of(self, sha: str) -> dict[str, pygit2.Oid]:
        commit = self.repo[pygit2.Oid(hex=sha)]
        assert isinstance(commit, pygit2.Commit)
        return dict(self._walk(commit.tree, ""))

    def _walk(self, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, pygit2.Oid]]:
        for entry in tree:
            if isinstance(entry, pygit2.Tree):
                yield from self._walk(entry, f"{prefix}{entry.name}/")
            else:
                yield f"{prefix}{entry.name}", entry.id

    def _write_tree(self, files: Mapping[str, pygit2.Oid]) -> pygit2.Oid:
        builder = self.repo.TreeBuilder()
        folders: dict[str, dict[str, pygit2.Oid]] = {}
        for path, oid in files.items():
            head, slash, rest = path.partition("/")
            if slash:
                folders.setdefault(head, {})[rest] = oid
            else:
                builder.insert(head, oid, FileMode.BLOB)
        for name, content in folders.items():
            builder.insert(name, self._write_tree(content), FileMode.TREE)
        written: pygit2.Oid = builder.write()
        return written


@dataclass(frozen=True)
class Widgets:
    """The shas of the seeded `acme/widgets` content (identical in `acme/strict`, written the same way)."""

    first: str
    """main~1: `.gitpod.yml` says `echo first`; `feature/with` and the annotated tag `v1.0` point here."""
    main: str
    """main: `.gitpod.yml` says `echo second`; adds docs/ and .devcontainer/; the lightweight tag `light`."""
    feature: str
    """feature/with-slash: main plus src/app.py."""
    pull: str
    """refs/pull/1/head: main plus pr.txt, on no branch."""
    merge_request: str
    """refs/merge-requests/2/head: main plus mr.txt, on no branch."""


FIRST_GITPOD_YML = "tasks:\n  - init: echo first\n"
SECOND_GITPOD_YML = "tasks:\n  - init: echo second\n"
DEVCONTAINER_JSON = '{"image": "debian:12"}\n'


def seed_widgets(repo: BareRepo) -> Widgets:
    first = repo.commit("main", {".gitpod.yml": FIRST_GITPOD_YML, "README.md": "# widgets\n"}, "first")
    main = repo.commit("main", {".gitpod.yml": SECOND_GITPOD_YML, "docs/guide.md": "# guide\n",
                                ".devcontainer/devcontainer.json": DEVCONTAINER_JSON}, "second")
    feature = repo.commit("feature/with-slash", {"src/app.py": "print('hi')\n"}, "feature", parent=main)
    repo.set_ref("refs/heads/feature/with", first)
    repo.tag("v1.0", first, annotated=True)
    repo.tag("light", main, annotated=False)
    pull = repo.detached_commit(main, {"pr.txt": "pull request 1\n"}, "pull request")
    repo.set_ref("refs/pull/1/head", pull)
    merge_request = repo.detached_commit(main, {"mr.txt": "merge request 2\n"}, "merge request")
    repo.set_ref("refs/merge-requests/2/head", merge_request)
    return Widgets(first=first, main=main, feature=feature, pull=pull, merge_request=merge_request)


@dataclass(frozen=True)
class Seeded:
    root: Path
    widgets: Widgets
    trunk: str
    """The one commit of `acme/trunk`, whose default branch is `trunk`."""


def seed_repositories(root: Path) -> Seeded:
    """Writes the repositories every git test can rely on under `root`:

    - `acme/widgets`: see `Widgets`; clients may fetch any sha from it.
    - `acme/strict`: the same content, but the server refuses to fetch by sha (plain git daemon default).
    - `acme/trunk`: HEAD is `refs/heads/trunk`, not main.
    - `acme/empty`: no commits at all.
    """
    widgets = seed_widgets(BareRepo.create(root / "acme/widgets.git"))
    strict = seed_widgets(BareRepo.create(root / "acme/strict.git", allow_sha_want=False))
    assert strict == widgets
    trunk = BareRepo.create(root / "acme/trunk.git", head="trunk").commit("trunk", {"README.md": "trunk\n"})
    BareRepo.create(root / "acme/empty.git")
    return Seeded(root, widgets, trunk)


class _Service:
    """Start/stop as a context manager."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


class GitDaemon(_Service):
    """`git daemon` serving every repository under `root` on git://127.0.0.1:<port>/."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.home = home
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def start(self) -> Self:
        # The port is picked free and then bound by git: another process may take it in between, so retry.
        for _ in range(5):
            self.port = free_port()
            log = (self.home / f"git-daemon-{self.port}.log").open("wb")
            self._process = subprocess.Popen(
                ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={self.port}", "--export-all",
                 f"--base-path={self.root}", str(self.root)],
                stdout=log, stderr=subprocess.STDOUT, env=_git_environment(self.home),
            )
            log.close()
            if _wait_listening(self.port, self._process):
                return self
            self.stop()
        raise RuntimeError(f"git daemon did not start; see {self.home}/git-daemon-*.log")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def _wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.05)
    return False


class SmartHttpServer(_Service):
    """`git http-backend` (smart HTTP) behind a threaded stdlib HTTP server on http://127.0.0.1:<port>/.

    Like GitHub it serves `<owner>/<repo>.git` at `/<owner>/<repo>` too. Two fault paths exist for
    tests: anything under `/private/` answers 401 (a repository that needs credentials) and anything
    under `/broken/` answers 500 (a server in trouble).
    """

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.home = home
        self._server: _BackendServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not started"
        return self._server.server_address[1]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def start(self) -> Self:
        self._server = _BackendServer(("127.0.0.1", 0), _BackendHandler)
        self._server.root = self.root
        self._server.environment = _git_environment(self.home)
        self._thread = threading.Thread(target=self._server.serve_forever, name="git-http-backend", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None


class _BackendServer(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    environment: dict[str, str]


class _BackendHandler(BaseHTTPRequestHandler):
    server: _BackendServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is about the code under test, not each request."""

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        if path.startswith("/private/"):
            self._answer(401, b"credentials required\n", {"WWW-Authenticate": 'Basic realm="berth-test"'})
            return
        if path.startswith("/broken/"):
            self._answer(500, b"the server is broken\n", {})
            return
        body = self._request_body()
        environment = {
            **self.server.environment,
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": self._path_info(unquote(path)),
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        result = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=environment,
                                timeout=60, check=False)
        head, payload = _split_cgi_output(result.stdout)
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name] = value.strip()
        self._answer(status, payload, headers)

    def _answer(self, status: int, payload: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _request_body(self) -> bytes:
        # libgit2 streams POST bodies with chunked transfer encoding; CGI wants the plain bytes.
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _path_info(self, path: str) -> str:
        """`/<owner>/<repo>/...` → `/<owner>/<repo>.git/...` when only the `.git` folder exists."""
        segments = path.split("/")
        for index in range(1, len(segments)):
            folder = self.server.root.joinpath(*segments[1:index + 1])
            if folder.is_dir():
                continue
            if folder.with_name(f"{folder.name}.git").is_dir():
                segments[index] += ".git"
            break
        return "/".join(segments)


def _split_cgi_output(output: bytes) -> tuple[bytes, bytes]:
    """A CGI program's output is headers, a blank line, the body; line ends may be CRLF or LF."""
    ends = [(output.find(separator), separator) for separator in (b"\r\n\r\n", b"\n\n")]
    found = [(index, separator) for index, separator in ends if index >= 0]
    if not found:
        return output, b""
    index, separator = min(found)
    return output[:index], output[index + len(separator):]


class SilentServer(_Service):
    """Accepts TCP connections and never answers: a server that hangs. Closing it closes them all."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._connections: list[socket.socket] = []
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    def start(self) -> Self:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self._connections.append(self._listener.accept()[0])

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for connection in self._connections:
            connection.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
