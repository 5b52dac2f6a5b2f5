"""Open a target: the embedded emulator for `local`, or a remote API with a key from the environment.

Whatever the target, the engine talks to it through the openai SDK over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.backends.listings import SharedListings
from orchestrator.constants import LOCAL_API_KEY
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import LOCAL_DB_ENV, Project, Target
from orchestrator.spec.writing import WriteRefused, check_state_file

if TYPE_CHECKING:  # start-up imports no SDK: these name types only
    from openai import OpenAI

    from orchestrator.backends.agents import AgentsClient
    from orchestrator.backends.assistants import AssistantsClient
    from orchestrator.emulator.server import EmulatorServer

LOCAL_KEY_ENV = "ORCHESTRATOR_LOCAL_API_KEY"
DEFAULT_MAX_RETRIES = 4
DEFAULT_TIMEOUT = 60.0
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


class Connection:
    """A context manager yielding an openai.OpenAI client (and the backend client) for a target."""

    def __init__(
        self,
        project: Project,
        target: Target,
        *,
        environ: Mapping[str, str] | None = None,
        base_url: str | None = None,
    ) -> None:
        self.project = project
        self.target = target
        self.environ = os.environ if environ is None else environ
        self.override_url = base_url
        self._server: EmulatorServer | None = None
        self._sdk: OpenAI | None = None
        # the run's listings, shared by the kinds that name others (client() and backends.kinds_for take it)
        self.listings = SharedListings()

    def __enter__(self) -> Connection:
        import openai

        from orchestrator.secrets import register_secret

        base_url: str | None  # None: the SDK's default (OPENAI_BASE_URL, else the OpenAI API)
        if self.target.type == "local" and self.override_url is None:
            from orchestrator.emulator.server import EmulatorServer
            from orchestrator.emulator.store import StoreError

            try:
                db = local_db(self.project, self.target, self.environ)
            except WriteRefused as exc:
                raise OrchestratorError(f"target `{self.target.name}` (local): its database: {exc}") from None
            try:
                db.parent.mkdir(parents=True, exist_ok=True)
                self._server = EmulatorServer(db).start()
            except StoreError as exc:
                raise OrchestratorError(
                    f"target `{self.target.name}` (local): {exc}; move the file away "
                    "to start with an empty local target"
                ) from None
            except OSError as exc:
                raise OrchestratorError(
                    f"target `{self.target.name}` (local): cannot create its state in "
                    f"{db.parent}: {exc.strerror or exc}"
                ) from None
            base_url, api_key = self._server.base_url, LOCAL_API_KEY
        elif self.target.type == "local":
            name = LOCAL_KEY_ENV
            base_url, api_key = self.override_url, self.environ.get(name, LOCAL_API_KEY)
        else:
            name = self.target.api_key_env or "OPENAI_API_KEY"
            api_key = self.environ.get(name, "")
            if not api_key:
                raise OrchestratorError(
                    f"target `{self.target.name}` needs an API key: set the environment "
                    f"variable {name} (keys are never read from files)"
                )
            base_url = self.override_url or self.target.base_url
        if api_key != LOCAL_API_KEY:
            register_secret(api_key)
            problem = header_value_problem(api_key)
            if problem:
                raise OrchestratorError(
                    f"the API key in the environment variable {name} (target "
                    f"`{self.target.name}`) cannot be sent in an HTTP header: {problem}; "
                    "nothing was sent. Set the variable to the key alone"
                )
        from orchestrator.backends.transport import budgeted_http_client

        timeout = self.target.timeout or DEFAULT_TIMEOUT
        self._sdk = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            organization=self.target.organization,
            max_retries=self.target.max_retries
            if self.target.max_retries is not None
            else DEFAULT_MAX_RETRIES,
            timeout=timeout,
            # every request of this client and its with_options copies is held to the request budget
            http_client=budgeted_http_client(timeout=timeout),
        )
        return self

    @property
    def sdk(self) -> OpenAI:
        """The openai.OpenAI client of the open connection (inside its with block)."""
        assert self._sdk is not None, "the connection is open (inside its with block)"
        return self._sdk

    def __exit__(self, *exc: object) -> None:
        if self._sdk is not None:
            self._sdk.close()
        if self._server is not None:
            self._server.stop()

    def begin_read(self) -> None:
        """A new read of live state: no listing made before it is shared with the reads after it."""
        self.listings.begin_read()

    def client(self) -> AgentsClient | AssistantsClient:
        from orchestrator.backends import client_for

        return client_for(self.target.backend, self.sdk, self.listings)


def local_db(project: Project, target: Target, environ: Mapping[str, str]) -> Path:
    """Where the local target keeps its database: the user's own ORCHESTRATOR_LOCAL_DB when set (`{target}` in
    it becomes the target's name), else a file in the project's state folder, which the write gate checks
    (the folder made, no link on the way: SQLite opens it by name and would follow one)."""
    chosen = environ.get(LOCAL_DB_ENV, "").strip()
    if chosen:
        return Path(os.path.abspath(os.path.expanduser(chosen.replace("{target}", target.name))))
    db = check_state_file(project.root, project.local_db(target))
    for sidecar in SQLITE_SIDECARS:  # SQLite opens these by name beside the database, following links
        check_state_file(project.root, db.with_name(db.name + sidecar))
    return db


def header_value_problem(value: str) -> str | None:
    """Why value cannot follow `Bearer ` in an Authorization header (None when it can), never quoting it.

    HTTP field values are visible ASCII with inner spaces (RFC 9110 5.5); httpx refuses anything else
    only when the request is sent, where it looks like a network fault and would be retried.
    """
    if value != value.strip():
        where = "ends" if value[-1:].isspace() else "starts"
        newline = (
            " (a trailing newline, as `echo` or a secrets file adds?)" if value.endswith(("\n", "\r")) else ""
        )
        return f"it {where} with whitespace{newline}"
    for position, char in enumerate(value, start=1):
        if not char.isascii():
            return f"character {position} of {len(value)} is not ASCII"
        if not char.isprintable():
            return f"character {position} of {len(value)} is a control character"
    return None
