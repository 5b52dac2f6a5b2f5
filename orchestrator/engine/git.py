"""The git adapter: git run safely through its command-line tool, and what git answers read as hostile input.

git is run as a subprocess, never with a prompt, a pager or an optional lock, with its arguments after
`--end-of-options` or `--` where a caller's words reach it. What it answers is checked before use: a revision
must resolve to one commit id, log and status records are split on NUL and field separators, blobs are read
from `cat-file --batch` by their announced size. Paths from a tree are accepted only when they stay inside
their folder and never name a .git folder (safe_path).

The state at a revision (snapshots, builds at a commit, history) lives in orchestrator.engine.revisions and
orchestrator.engine.revision_trees, on top of this module.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OrchestratorError

GIT_TIMEOUT_S = 300
MAX_PATHSPECS = 1000  # paths per `git status` call, far below any command-line limit
COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class GitError(OrchestratorError):
    """git refused or failed; the message says what was asked and what git answered."""


@dataclass(frozen=True, slots=True)
class Repository:
    """The git work tree holding a project: `prefix` is the project folder relative to its top."""

    top: Path
    prefix: str  # "" at the top, else "a/b" (forward slashes)
    root: Path  # the project folder
    git: str

    def run(
        self, *args: str, input: bytes | None = None, ok: Sequence[int] = (0,), literal: bool = False
    ) -> bytes:
        """Run git in the project folder; GitError unless its exit code is in ok."""
        command = [self.git, *(["--literal-pathspecs"] if literal else []), "-C", str(self.root), *args]
        try:
            done = subprocess.run(
                command,
                input=input,
                capture_output=True,
                env=git_environment(),
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"git {args[0]} failed: {exc}") from None
        if done.returncode not in ok:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit {done.returncode}'}")
        return done.stdout

    def in_project(self, repo_path: str) -> str | None:
        """A path relative to the repository top, relative to the project folder (None outside it)."""
        if not self.prefix:
            return repo_path
        return repo_path[len(self.prefix) + 1 :] if repo_path.startswith(self.prefix + "/") else None

    def to_repo(self, project_path: str) -> str:
        return f"{self.prefix}/{project_path}" if self.prefix else project_path


def git_environment() -> dict[str, str]:
    """git's environment: never a prompt, a pager or an optional lock (status must not write the index)."""
    env = dict(os.environ)
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    return env


def find_repository(root: Path) -> Repository | None:
    """The git work tree the project folder is in; None outside one, or when git is not installed."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(root), "rev-parse", "--show-toplevel", "--show-prefix"],
            capture_output=True,
            env=git_environment(),
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.decode("utf-8", "surrogateescape").split("\n")
    if done.returncode != 0 or len(lines) < 2 or not lines[0]:
        return None
    return Repository(Path(lines[0]), lines[1].strip("/"), root.resolve(), git)


def require_repository(root: Path, why: str) -> Repository:
    repo = find_repository(root)
    if repo is None:
        where = "git is not installed" if shutil.which("git") is None else f"{root} is not in a git work tree"
        raise OrchestratorError(f"{why} needs a git repository, but {where}")
    return repo


def changed_files(repo: Repository, paths: Sequence[str]) -> tuple[str | None, set[str]]:
    """HEAD (None before the first commit) and which of paths (relative to the project folder) differ from
    it: modified, staged, untracked or ignored; the changed paths are relative to the repository top."""
    head: str | None = None
    changed: set[str] = set()
    for start in range(0, len(paths), MAX_PATHSPECS):
        chunk = paths[start : start + MAX_PATHSPECS]
        output = repo.run(
            "status",
            "--porcelain=v2",
            "--branch",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--no-renames",
            "--",
            *chunk,
            literal=True,
        )
        found_head, found = _parse_status(output)
        head = head or found_head
        changed.update(found)
    return head, changed


def _parse_status(output: bytes) -> tuple[str | None, set[str]]:
    head: str | None = None
    changed: set[str] = set()
    for entry in output.split(b"\0"):
        text = os.fsdecode(entry)
        if text.startswith("# branch.oid "):
            oid = text.removeprefix("# branch.oid ").strip()
            head = oid if oid != "(initial)" else None
        elif text[:2] in ("1 ", "2 ", "u "):
            fields = {"1": 8, "2": 9, "u": 10}[text[0]]
            changed.add(text.split(" ", fields)[-1])
        elif text[:2] in ("? ", "! "):
            changed.add(text[2:])
    return head, changed


# -- commits ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commit:
    id: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str  # ISO 8601, the author's offset
    subject: str
    files: tuple[str, ...] = ()  # paths relative to the project folder that the commit touched


LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s%x1f"


def resolve_commit(repo: Repository, rev: str) -> str:
    """The full commit id REV names (a commit, a tag, a branch, HEAD~2 ...)."""
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n"):
        raise OrchestratorError(f"`{rev}` is not a git revision")
    if rev.startswith("^") or ".." in rev.partition(":")[0]:
        raise OrchestratorError(
            f"`{rev}` is a range of commits, not one commit; --rev takes one commit "
            "(a commit id, tag, branch, HEAD~1 ...)"
        )
    try:
        found = repo.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode()
    except GitError:
        raise OrchestratorError(f"unknown git revision `{rev}` in the repository at {repo.top}") from None
    if not COMMIT_ID.fullmatch(found.strip()):  # what git answers must be one commit id, whatever rev was
        raise OrchestratorError(
            f"`{rev}` does not name one commit; --rev takes one commit (a commit id, tag, branch, HEAD~1 ...)"
        )
    return found.strip()


def describe_commits(repo: Repository, commits: Iterable[str]) -> dict[str, Commit]:
    wanted = list(dict.fromkeys(commits))
    if not wanted:
        return {}
    output = repo.run("show", "--no-patch", "--no-walk=unsorted", f"--format={LOG_FORMAT}", *wanted)
    found = {c.id: c for c in _parse_log(output, repo, with_files=False)}
    return found


def commit_with_files(repo: Repository, commit: str) -> Commit:
    """One commit, with the files inside the project it touched against its first parent."""
    output = repo.run(
        "show",
        "-z",
        "--no-renames",
        "--name-only",
        "--first-parent",
        "--diff-merges=first-parent",
        f"--format={LOG_FORMAT}",
        commit,
        "--",
        ".",
    )
    found = _parse_log(output, repo, with_files=True)
    return (
        found[0] if found else describe_commits(repo, [commit])[commit]
    )  # it touched nothing of the project


def project_log(repo: Repository, start: str) -> list[Commit]:
    """The commits from start back that touched the project folder, newest first, with the files they touched."""
    output = repo.run("log", "-z", "--no-renames", "--name-only", f"--format={LOG_FORMAT}", start, "--", ".")
    return _parse_log(output, repo, with_files=True)


def _parse_log(output: bytes, repo: Repository, *, with_files: bool) -> list[Commit]:
    commits = []
    for record in output.split(b"\x1e")[1:]:
        head, _, rest = record.partition(b"\x1f\x00") if with_files else (record, b"", b"")
        fields = head.decode("utf-8", "replace").rstrip("\n").split("\x1f")
        files: list[str] = []
        for raw in rest.split(b"\x00"):
            path = os.fsdecode(raw).lstrip("\n")
            inside = repo.in_project(path) if path else None
            if inside:
                files.append(inside)
        commits.append(
            Commit(
                fields[0], tuple(fields[1].split()), fields[2], fields[3], fields[4], fields[5], tuple(files)
            )
        )
    return commits


def _exit_ok(repo: Repository, *args: str) -> bool:
    try:
        repo.run(*args)
    except GitError:
        return False
    return True


def is_ancestor(repo: Repository, older: str, newer: str) -> bool:
    return older == newer or _exit_ok(repo, "merge-base", "--is-ancestor", older, newer)


@dataclass(frozen=True, slots=True)
class Distance:
    ahead: int  # commits in the revision that HEAD lacks
    behind: int  # commits in HEAD that the revision lacks


def distance(repo: Repository, commit: str, head: str = "HEAD") -> Distance | None:
    """How far commit is from head; None when the repository does not have the commit."""
    if not has_commit(repo, commit):
        return None
    try:
        counts = repo.run("rev-list", "--left-right", "--count", f"{commit}...{head}").split()
    except GitError:
        return None
    return Distance(int(counts[0]), int(counts[1]))


def has_commit(repo: Repository, commit: str) -> bool:
    """The repository has commit (it may have been applied from a clone that was never pushed)."""
    return _exit_ok(repo, "cat-file", "-e", f"{commit}^{{commit}}")


def head_commit(repo: Repository) -> str | None:
    try:
        return (
            repo.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok=(0, 1)).decode().strip() or None
        )
    except GitError:
        return None


# -- objects ---------------------------------------------------------------------------------------


def safe_path(path: str) -> bool:
    """A relative path that stays inside its folder and never names a .git folder."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..", ".git") for p in parts)


def read_blobs(
    git: str,
    cwd: Path,
    env: dict[str, str],
    shas: Sequence[str],
    place: Callable[[str], Path],
    keep: AbstractSet[str],
    kept: dict[str, bytes],
) -> None:
    process = subprocess.Popen(
        [git, "-C", str(cwd), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None

    def feed() -> None:
        try:
            process.stdin.write("".join(s + "\n" for s in shas).encode())  # type: ignore[union-attr]
            process.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for sha in shas:
            header = process.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitError(f"git cat-file could not read blob {sha}")
            left = int(header[2])
            blocks = []
            with open(place(sha), "wb") as out:
                while left:
                    block = process.stdout.read(min(left, 1 << 20))
                    if not block:
                        raise GitError(f"git cat-file ended in the middle of blob {sha}")
                    out.write(block)
                    left -= len(block)
                    if sha in keep:
                        blocks.append(block)
            if sha in keep:
                kept[sha] = b"".join(blocks)
            process.stdout.read(1)  # the newline after each blob
    finally:
        process.stdout.close()
        writer.join()
        process.wait()


class TreeIndex:
    """The folders of one tree, each read once when asked for (one `git cat-file --batch` for all of them):
    whether a path a spec names exists, without listing the rest of the tree."""

    def __init__(self, git: str, cwd: Path, env: dict[str, str], tree: str) -> None:
        self.tree = tree
        self._folders: dict[str, dict[str, str] | None] = {}
        self._args = ([git, "-C", str(cwd), "cat-file", "--batch"], env)
        self._process: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.close()
            self._process.stdout.close()
            self._process.wait()
            self._process = None

    def folder(self, path: str) -> dict[str, str] | None:
        """name -> mode of the entries of folder path ("" the top); None when it is no folder."""
        if path not in self._folders:
            self._folders[path] = self._read(path)
        return self._folders[path]

    def _read(self, path: str) -> dict[str, str] | None:
        if "\n" in path:
            return None
        if self._process is None:
            command, env = self._args
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
            )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(
            f"{self.tree}:{path}\n".encode("utf-8", "surrogateescape") if path else f"{self.tree}\n".encode()
        )
        self._process.stdin.flush()
        header = self._process.stdout.readline().split()
        if len(header) != 3:
            return None
        size = int(header[2])
        data = self._process.stdout.read(size)
        self._process.stdout.read(1)
        if header[1] != b"tree":
            return None
        width = len(header[0]) // 2  # bytes of an object id: 20 (sha1) or 32 (sha256)
        entries: dict[str, str] = {}
        at = 0
        while at < len(data):
            space = data.index(b" ", at)
            nul = data.index(b"\0", space)
            entries[os.fsdecode(data[space + 1 : nul])] = data[at:space].decode()
            at = nul + 1 + width
        return entries

    def find(self, path: str) -> tuple[str, str] | None:
        """("tree" | "blob" | "link" | "commit", the path found): the path itself, or the link on its way; None
        when it does not exist."""
        parts = path.split("/") if path else []
        folder = ""
        for index, part in enumerate(parts):
            entries = self.folder(folder)
            mode = entries.get(part) if entries is not None else None
            here = f"{folder}/{part}" if folder else part
            if mode is None:
                return None
            if mode == "120000":
                return "link", here
            if mode == "160000":
                return "commit", here
            if not mode.startswith("4"):
                return ("blob", here) if index == len(parts) - 1 else None
            folder = here
        return "tree", folder
