"""The part of a project tree its desired state needs, written from git objects into a scratch folder.

A revision's tree is hostile input (a pull request): it may hold a hundred thousand files, blobs of
hundreds of megabytes, submodules and filtered (LFS) files. Only what a build can read is listed and
written: the project file, the specs and templates folders, and the files the specs name (every path
or glob written in a spec, resolved from the spec's folder, the templates folder and the project
folder). The rest of the tree is never listed below its folders, and no blob of it is read.

What cannot be read as a checkout would give it is refused by name, never skipped: a submodule
(gitlink), a file whose filter (`.gitattributes`) has no driver here or whose driver fails. A blob
over the limit of its reader is written as a sparse file of its size, so the working tree's read
gate refuses it with the same words, without the blob being read.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.diagnostics import Diagnostic, error
from orchestrator.engine.git import GitError, TreeIndex, read_blobs, safe_path
from orchestrator.spec.confinement import glob_regex
from orchestrator.spec.loading import MAX_YAML_BYTES
from orchestrator.spec.project import PROJECT_FILE, load_project

MAX_BLOB_BYTES = 512 * 1024 * 1024  # the largest file any reader takes (a knowledge file, the API's limit)
MAX_ROUNDS = 8  # rounds of links and named files followed (a link to a folder naming another ...)
MAX_PATHS_PER_CALL = 1000
GLOB_CHARS = frozenset("*?[")
TOKEN = re.compile(r"[^\s'\",{}]+")  # a path or glob as a spec may write it (quoted, in a flow list ...)
# ... and one with spaces: a quoted string, or a plain value after `key: ` or `- ` up to the line's end
SPACED = re.compile(
    r"\"([^\"\n]* [^\"\n]*)\"|'([^'\n]* [^'\n]*)'|(?:: |- )([^\s#'\"\[{][^#\n]* [^#\n]*?)\s*(?:#|$)",
    re.MULTILINE,
)
ATTRIBUTES = ("filter", "ident", "working-tree-encoding", "eol")


@dataclass(frozen=True, slots=True)
class Entry:
    mode: str
    kind: str  # blob, commit (a submodule)
    sha: str
    size: int | None
    path: str  # relative to the project tree


@dataclass
class Wanted:
    """Paths to list: prefix -> matchers of the paths below it (None: everything below, or the file itself)."""

    prefixes: dict[str, list[re.Pattern[str] | None]] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)

    def add(self, prefix: str, matcher: re.Pattern[str] | None = None) -> None:
        found = self.prefixes.setdefault(prefix, [])
        if matcher not in found:
            found.append(matcher)

    def new(self) -> list[str]:
        fresh = [p for p in self.prefixes if p not in self.listed]
        self.listed.update(fresh)
        return fresh

    def accepts(self, path: str) -> bool:
        parts = path.split("/")
        for cut in range(len(parts), -1, -1):
            prefix = "/".join(parts[:cut])
            for matcher in self.prefixes.get(prefix, ()):
                rest = "/".join(parts[cut:])
                if matcher is None or matcher.fullmatch(rest):
                    return True
        return False


@dataclass
class TreeWriter:
    """Writes what the desired state at one project tree needs into root; problems say what was refused."""

    git: str
    cwd: Path  # the project folder of the work tree (git's paths and attributes are relative to it)
    env: dict[str, str]
    tree: str
    root: Path
    blobs: Path  # blobs/<sha>, shared by the trees of one Snapshots
    have: set[str]  # blobs already in blobs/
    prefix: str = ""  # the project folder below the top of the work tree ("" at the top)
    problems: list[Diagnostic] = field(default_factory=list)
    written: int = 0  # blobs read from git for this tree (what the tests count)
    links: dict[str, str] = field(default_factory=dict)  # where a link lands -> the link
    through: dict[str, list[tuple[str, re.Pattern[str] | None]]] = field(
        default_factory=dict
    )  # link -> asked below
    _asked: dict[str, set[str]] = field(default_factory=dict)  # folder -> the words of its specs resolved
    shas: dict[str, str] = field(default_factory=dict)  # path -> blob, of the files written as their blob
    texts: dict[str, bytes] = field(default_factory=dict)  # blob -> bytes, of YAML files kept to be read

    def run(self, *args: str, input: bytes | None = None) -> bytes:
        done = subprocess.run(
            [self.git, "--literal-pathspecs", "-C", str(self.cwd), *args],
            input=input,
            capture_output=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit {done.returncode}'}")
        return done.stdout

    # -- what is listed ------------------------------------------------------------------------

    def write(self) -> None:
        self.root.mkdir(parents=True)
        wanted = Wanted()
        wanted.add(PROJECT_FILE)
        self._round(wanted)
        if not (self.root / PROJECT_FILE).is_file():
            return  # the build says there is no project at this revision
        project, _ = load_project(self.root)
        if project is None:
            return  # the build reports why
        folders = [
            f
            for f in (_inside(project.specs_dir, self.root), _inside(project.templates_dir, self.root))
            if f is not None
        ]
        for folder in folders:
            wanted.add(folder)
        specs = _inside(project.specs_dir, self.root)
        index = TreeIndex(self.git, self.cwd, self.env, self.tree)
        seen: set[tuple[str, str | None]] = set()
        try:
            for _ in range(MAX_ROUNDS):
                written = self._round(wanted)
                if not written:
                    break
                for path in written:
                    if not path.lower().endswith((".yaml", ".yml")) or specs is None:
                        continue
                    # a spec file, or the file a spec file's link lands on (its paths are from the link's folder)
                    link = self.links.get(path)
                    base = (
                        posixpath.dirname(path)
                        if _below(path, specs)
                        else posixpath.dirname(link)
                        if link is not None and _below(link, specs)
                        else None
                    )
                    if base is not None:
                        self._follow(self._named_by(path, base), wanted, index, seen, folders)
        finally:
            index.close()

    def _follow(
        self,
        named: Iterable[tuple[str, re.Pattern[str] | None]],
        wanted: Wanted,
        index: TreeIndex,
        seen: set[tuple[str, str | None]],
        folders: list[str],
    ) -> None:
        """Want what the named paths find in the tree: the file or folder, the link on the way, a submodule."""
        for prefix, matcher in named:
            key = (prefix, matcher.pattern if matcher is not None else None)
            if key in seen or any(_below(prefix, f) for f in folders):
                continue  # asked already, or in a folder written whole
            seen.add(key)
            found = index.find(prefix)
            if found is None:
                continue  # names nothing of the tree: the build says so if it is a path
            kind, where = found
            if kind == "link":  # the link is written, and what it lands on wanted next round
                self.through.setdefault(where, []).append((prefix[len(where) + 1 :], matcher))
                wanted.add(where)
            elif kind == "commit" and where != prefix:
                wanted.add(where)  # a submodule on the way: refused by name
            else:
                wanted.add(prefix, matcher)

    def _named_by(self, spec: str, base: str) -> Iterable[tuple[str, re.Pattern[str] | None]]:
        """Every path or glob the spec's text may name (any word that may be one, resolved from its folder)."""
        raw = self.texts.get(self.shas.get(spec, ""))
        if raw is None:  # filtered, or too big to be a spec
            target = self.root / spec
            if target.is_symlink() or not target.is_file() or target.stat().st_size > MAX_YAML_BYTES:
                return
            raw = target.read_bytes()
        text = raw.decode("utf-8", "replace")
        # a spec names files from its folder (templates are written whole)
        asked = self._asked.setdefault(base, set())
        words = set(TOKEN.findall(text))
        if " " in text:
            words.update(next(g for g in m.groups() if g) for m in SPACED.finditer(text))
        for token in words - asked:
            asked.add(token)  # specs of one folder share most words: each is resolved once
            token = token.strip().strip("[]-:").rstrip(".")
            if (
                not token
                or token.startswith(("/", "#"))
                or "://" in token
                or ("/" not in token and "." not in token)
            ):
                continue
            found = _want(base, token)
            if found is not None and (
                found[0] or found[1] is not None
            ):  # the whole project is no file's folder
                yield found

    def _round(self, wanted: Wanted) -> list[str]:
        """List the new prefixes, write the entries they accept; the paths written."""
        fresh = wanted.new()
        if not fresh:
            return []
        entries: dict[str, Entry] = {}
        for chunk in _chunks(sorted(fresh)):
            for entry in self._list(chunk):
                if wanted.accepts(entry.path) and not os.path.lexists(self.root / entry.path):
                    entries[entry.path] = entry
        links = [e for e in entries.values() if e.kind == "blob" and e.mode == "120000"]
        for entry in entries.values():
            if entry.kind == "commit":
                self.problems.append(
                    error(
                        entry.path,
                        f"is a git submodule (commit {entry.sha[:7]}) at this "
                        "revision; a revision's desired state is read from the repository's own "
                        "objects, and a submodule's files are not among them, so the revision is "
                        "refused rather than read without them",
                        hint="move its files into the repository, or run without --rev on a "
                        "checkout with the submodule",
                    )
                )
        self._write_blobs([e for e in entries.values() if e.kind == "blob" and e.mode != "120000"])
        for link in links:
            landing = self._link(link)
            if landing is None:
                continue
            asked = self.through.pop(link.path, None)
            if asked is None:
                wanted.add(landing)  # a link in a folder written whole: all it lands on
            for rest, matcher in asked or ():
                wanted.add(posixpath.join(landing, rest) if rest else landing, matcher)
        return sorted(entries)

    def _list(self, prefixes: Sequence[str]) -> list[Entry]:
        paths = [] if "" in prefixes else ["--", *prefixes]
        found = []
        for raw in self.run("ls-tree", "-r", "-z", "-l", "--full-tree", self.tree, *paths).split(b"\0"):
            if not raw:
                continue
            meta, _, name = raw.partition(b"\t")
            mode, kind, sha, size = meta.decode().split()
            path = os.fsdecode(name)
            if safe_path(path):
                found.append(Entry(mode, kind, sha, int(size) if size.isdigit() else None, path))
        return found

    # -- what is written -----------------------------------------------------------------------

    def _link(self, entry: Entry) -> str | None:
        """A symlink, kept only when it stays inside the project folder; where it lands (to list next)."""
        self._fetch([entry.sha])
        link = (self.blobs / entry.sha).read_bytes().decode("utf-8", "surrogateescape")
        landing = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), link))
        if posixpath.isabs(link) or not safe_path(landing):
            return None
        target = self.root / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(link)
        self.links.setdefault(landing, entry.path)
        return landing

    def _write_blobs(self, entries: list[Entry]) -> None:
        if not entries:
            return
        filtered = self._filtered([e.path for e in entries])
        plain = [e for e in entries if e.path not in filtered and (e.size or 0) <= _limit(e.path)]
        self._fetch(
            sorted({e.sha for e in plain}),
            keep={
                e.sha
                for e in plain
                if e.path.lower().endswith((".yaml", ".yml")) and (e.size or 0) <= MAX_YAML_BYTES
            },
        )
        base = str(self.root)
        made: set[str] = set()
        for entry in entries:
            target = os.path.join(base, entry.path)
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            if entry.path in filtered:
                self._smudge(entry, filtered[entry.path], Path(target))
            elif (entry.size or 0) > _limit(entry.path):
                with open(target, "wb") as out:  # sparse: the read gate refuses it by its size, as on disk
                    out.truncate(entry.size or 0)
            else:
                self.shas[entry.path] = entry.sha
                blob = os.path.join(self.blobs, entry.sha)
                try:
                    os.link(blob, target)
                except OSError:
                    import shutil

                    shutil.copyfile(blob, target)
            if entry.mode == "100755":
                os.chmod(target, 0o755)

    def _filtered(self, paths: list[str]) -> dict[str, str]:
        """The paths a checkout would not write as their blob (a filter, ident, an encoding, CRLF): path -> why."""
        found: dict[str, str] = {}
        for chunk in _chunks(paths):
            output = self.run(
                "check-attr",
                "-z",
                "--stdin",
                *ATTRIBUTES,
                input="".join(p + "\0" for p in chunk).encode("utf-8", "surrogateescape"),
            )
            fields = output.split(b"\0")
            for start in range(0, len(fields) - 2, 3):
                path, name, value = (os.fsdecode(f) for f in fields[start : start + 3])
                if value in ("unspecified", "unset") or (name == "eol" and value != "crlf"):
                    continue
                if name == "filter" and value == "set":
                    continue
                found.setdefault(path, f"{name}={value}")
        return found

    def _smudge(self, entry: Entry, why: str, target: Path) -> None:
        """The file as a checkout writes it, through git's filters; refused when they cannot be applied."""
        name, _, value = why.partition("=")
        if name == "filter" and not (
            self._config(f"filter.{value}.smudge") or self._config(f"filter.{value}.process")
        ):
            self.problems.append(
                error(
                    entry.path,
                    f"needs the git filter `{value}` (its `.gitattributes` says "
                    f"filter={value}), which is not configured here; the revision is refused "
                    "rather than read as the unfiltered blob",
                    hint="install the filter's driver (for `lfs`: git-lfs, then `git lfs "
                    "install`), or run without --rev on a checkout",
                )
            )
            return
        # --path is relative to the top of the work tree (check-attr's paths, to the folder git runs in)
        done = subprocess.run(
            [
                self.git,
                "-C",
                str(self.cwd),
                "cat-file",
                "--filters",
                f"--path={self.prefix}/{entry.path}" if self.prefix else f"--path={entry.path}",
                entry.sha,
            ],
            capture_output=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        problem = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0 or problem:
            said = problem.splitlines()[-1] if problem else f"exit {done.returncode}"
            self.problems.append(
                error(
                    entry.path,
                    f"git could not apply `{why}` to it as a checkout would "
                    f"({said}); the revision is refused rather than read unfiltered",
                    hint="fix or install the filter's driver, or run without --rev on a checkout",
                )
            )
            return
        if len(done.stdout) > _limit(entry.path):
            with open(target, "wb") as out:
                out.truncate(len(done.stdout))
            return
        target.write_bytes(done.stdout)
        self.written += 1

    def _config(self, key: str) -> str | None:
        done = subprocess.run(
            [self.git, "-C", str(self.cwd), "config", "--get", key],
            capture_output=True,
            env=self.env,
            timeout=60,
            check=False,
        )
        return done.stdout.decode("utf-8", "replace").strip() or None if done.returncode == 0 else None

    def _fetch(self, shas: Iterable[str], keep: AbstractSet[str] = frozenset()) -> None:
        """Write every missing blob to blobs/<sha>, streamed from one `git cat-file --batch`; keep the bytes of
        those in keep (spec files, read next for the paths they name)."""
        missing = sorted(set(shas) - self.have)
        for sha in keep - set(missing) - self.texts.keys():
            self.texts[sha] = (self.blobs / sha).read_bytes()  # written for an earlier tree
        if not missing:
            return
        read_blobs(self.git, self.cwd, self.env, missing, lambda sha: self.blobs / sha, keep, self.texts)
        self.have.update(missing)
        self.written += len(missing)


def _want(base: str, token: str) -> tuple[str, re.Pattern[str] | None] | None:
    """The folder or file a token names from base, and the glob matching below it (None: all of it)."""
    parts = [p for p in token.split("/") if p not in ("", ".")]
    fixed: list[str] = []
    while parts and not (GLOB_CHARS & set(parts[0])):
        fixed.append(parts.pop(0))
    prefix = posixpath.normpath(posixpath.join(base, *fixed)) if fixed else (base or ".")
    prefix = "" if prefix == "." else prefix
    if prefix == ".." or prefix.startswith("../") or (prefix and not safe_path(prefix)):
        return None  # outside the project: the build refuses it
    if not parts:
        return prefix, None
    try:
        return prefix, re.compile(glob_regex(parts))
    except re.error:
        return None


def _limit(path: str) -> int:
    """Past this size every reader refuses the file by its size alone (a knowledge file's API limit is the
    largest), so it is written sparse; below it the file may be read in full (a code file), so it is written."""
    return MAX_BLOB_BYTES


def _inside(folder: Path, root: Path) -> str | None:
    try:
        relative = folder.relative_to(root).as_posix()
    except ValueError:
        return None
    return "" if relative == "." else relative


def _below(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), MAX_PATHS_PER_CALL):
        yield items[start : start + MAX_PATHS_PER_CALL]
