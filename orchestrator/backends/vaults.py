"""Vaults and their credentials (`/v1/vaults`, `/v1/vaults/{id}/credentials`, OpenAI-Beta: agents=v1).

One `kind: vault` spec is one live vault; its credentials are sub-resources, reconciled by the
client on create and update (created, rotated, re-labelled, deleted), as knowledge files are for an
assistant. Secrets never enter an essence, a payload or a plan: payloads carry the *sources* of the
secrets (`from_env` / `from_file`), the client reads the values (`secret_sources.resolve`, which
teaches them to the redactor) right before the HTTP call that sends them, write-only.

A credential's metadata keeps `orchestrator.secret = "<revision>:<salt>:<salted digest>"`. Its
essence shows the secret only as a marker, `"revision N"`, so a plan says `(secret changed)` when
the spec's revision moves, or when the value read now no longer matches the recorded digest
(`secret_markers`, only where the source is readable: diff works without the secrets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orchestrator.backends.listings import VAULTS, Listings, SeparateListings
from orchestrator.backends.wire import Shape, check_deleted, read_list, read_object
from orchestrator.engine.live import Kind, LiveObject, References
from orchestrator.engine.normalising import canonical
from orchestrator.engine.ownership import parse_owner, user_metadata
from orchestrator.secret_sources import SecretSource, new_salt, parse_stamp, resolve, stamp, try_resolve

if TYPE_CHECKING:  # the SDK is imported where a call needs it
    from openai import OpenAI

    from orchestrator.backends.kind_context import KindContext
    from orchestrator.engine.planning import Change
    from orchestrator.spec.agent_kinds import VaultSpec

VAULT = Shape("vault")
CREDENTIAL = Shape("vault.credential")
SECRET_KEY = "orchestrator.secret"
PAGE_SIZE = 100
SECRET_CHANGED = "(secret changed)"


def _prune(value: Any) -> Any:
    """Nones dropped at every level: the API shows unset optional fields as null."""
    if isinstance(value, Mapping):
        return {k: _prune(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def plain_auth(auth: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable, non-secret part of an auth (desired or live alike)."""
    result = _prune(canonical(dict(auth)))
    networking = result.get("networking")
    if isinstance(networking, dict) and "allowed_hosts" in networking:
        networking["allowed_hosts"] = sorted({h.lower() for h in networking["allowed_hosts"]})
    refresh = result.get("refresh")
    if isinstance(refresh, dict) and isinstance(refresh.get("token_endpoint_auth"), dict):
        refresh["token_endpoint_auth"] = {"type": refresh["token_endpoint_auth"]["type"]}
    return result


def marker(revision: int, changed: bool = False) -> str:
    return f"revision {revision}" + (f" {SECRET_CHANGED}" if changed else "")


class VaultsMapping:
    backend = "agents"
    object_kind = "vault"
    write_only: frozenset[str] = frozenset({"secret_sources"})

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        # environ given: a live credential whose `from_env` value no longer matches its recorded digest reads
        # as "(secret changed)" (the sources of the specs planned, by vault spec name and credential)
        self._environ = environ
        self._sources: dict[str, dict[str, tuple[int, tuple[SecretSource, ...]]]] = {}

    def desired_essence(self, spec: Any, changed_secrets: frozenset[str] = frozenset()) -> dict[str, Any]:
        """spec: a VaultSpec; changed_secrets: credentials whose value no longer matches its digest."""
        self._sources[spec.name] = {
            c.name: (c.revision, tuple(s for _, s in sorted(c.secrets.items()))) for c in spec.credentials
        }
        return {
            "name": spec.display_name,
            "metadata": dict(spec.metadata),
            "credentials": {
                c.name: {
                    "auth": plain_auth(c.auth),
                    "metadata": dict(c.metadata),
                    "secret": marker(c.revision, c.name in changed_secrets),
                }
                for c in sorted(spec.credentials, key=lambda c: c.name)
            },
            "secret_sources": {
                c.name: {
                    "revision": c.revision,
                    "sources": {
                        p: {"from_env": s.env} if s.env is not None else {"from_file": s.file}
                        for p, s in sorted(c.secrets.items())
                    },
                }
                for c in sorted(spec.credentials, key=lambda c: c.name)
            },
        }

    def live_essence(
        self, raw: Mapping[str, Any], view: Any = None, references: References | None = None
    ) -> dict[str, Any]:
        credentials = {}
        owner = parse_owner(raw.get("metadata"))
        sources = self._sources.get(owner.spec, {}) if owner is not None else {}
        for item in raw.get("credentials") or []:
            recorded = parse_stamp((item.get("metadata") or {}).get(SECRET_KEY))
            credentials[item["name"]] = {
                "auth": plain_auth(item.get("auth") or {}),
                "metadata": {k: v for k, v in user_metadata(item.get("metadata")).items() if k != SECRET_KEY},
                "secret": marker(recorded.revision, self._moved(recorded, sources.get(item["name"])))
                if recorded
                else "unknown (not set by orchestrator)",
            }
        return {
            "name": raw.get("name"),
            "metadata": user_metadata(raw.get("metadata")),
            "credentials": dict(sorted(credentials.items())),
        }

    def _moved(self, recorded: Any, wanted: tuple[int, tuple[SecretSource, ...]] | None) -> bool:
        """The value at the source (environment variables only: diff never reads a file) no longer matches
        the digest recorded at the same revision."""
        if self._environ is None or wanted is None or wanted[0] != recorded.revision:
            return False
        if any(source.env is None for source in wanted[1]):
            return False
        values = [try_resolve(source, self._environ) for source in wanted[1]]
        return all(v is not None for v in values) and not recorded.matches(
            *[v for v in values if v is not None]
        )

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return creating or "credentials" in changed

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        return {"name": essence["name"], "metadata": dict(metadata), "credentials": _wanted(essence)}

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"metadata": dict(metadata)}
        if "name" in changed:
            payload["name"] = essence["name"]
        if "credentials" in changed or "secret_sources" in changed:
            payload["credentials"] = _wanted(essence)
        return payload


def _wanted(essence: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each credential the vault should hold: settings, secret sources (never values), revision."""
    return [
        {
            "name": name,
            "auth": cred["auth"],
            "metadata": cred["metadata"],
            "revision": essence["secret_sources"][name]["revision"],
            "force_rotate": SECRET_CHANGED in cred["secret"],
            "sources": essence["secret_sources"][name]["sources"],
        }
        for name, cred in essence["credentials"].items()
    ]


def secret_markers(spec: VaultSpec, live: LiveObject | None, environ: Mapping[str, str]) -> frozenset[str]:
    """Credentials whose secret, readable now, no longer matches the digest recorded live."""
    if live is None:
        return frozenset()
    recorded = {
        item["name"]: parse_stamp((item.get("metadata") or {}).get(SECRET_KEY))
        for item in live.raw.get("credentials") or []
    }
    changed = set()
    for cred in spec.credentials:
        mark = recorded.get(cred.name)
        if mark is None or mark.revision != cred.revision:
            continue  # a revision change (or a new credential) shows by itself
        values = [try_resolve(source, environ) for _, source in sorted(cred.secrets.items())]
        if all(v is not None for v in values) and not mark.matches(*[v for v in values if v is not None]):
            changed.add(cred.name)
    return frozenset(changed)


def _source(value: Mapping[str, str]) -> SecretSource:
    return SecretSource(env=value.get("from_env"), file=value.get("from_file"))


def _with_secrets(auth: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The auth create param: the plain settings with each secret put back at its place."""
    result = canonical(dict(auth))
    for pointer, value in values.items():
        parent = result
        *heads, last = pointer.split("/")
        for head in heads:
            parent = parent.setdefault(head, {})
        parent[last] = value
    return result


def _rotation(auth: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The auth rotate param: the type and the new secret values only."""
    rotate: dict[str, Any] = {"type": auth["type"]}
    for pointer, value in values.items():
        parent = rotate
        *heads, last = pointer.split("/")
        for head in heads:
            parent = parent.setdefault(head, {})
        parent[last] = value
    endpoint = rotate.get("refresh", {}).get("token_endpoint_auth")
    if endpoint is not None:
        endpoint["type"] = auth["refresh"]["token_endpoint_auth"]["type"]
    return rotate


def credential_settings(auth: Mapping[str, Any]) -> str:
    """A short digest of a credential's non-secret settings: a change recreates the credential (a new id),
    so an agent naming it changes with it and is re-pointed in the same apply."""
    from orchestrator.engine.ownership import digest

    return digest(plain_auth(auth))[:8]


def owned_credentials(vaults: Iterable[LiveObject]) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    """(project, environment) -> `vault spec/credential name` -> (credential id, settings digest), over every
    owned vault (as VaultsClient.listed reads them): how an agent's MCP tool names its credential."""
    found: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for vault in vaults:
        if vault.owner is None:
            continue
        refs = found.setdefault((vault.owner.project, vault.owner.environment), {})
        for item in vault.raw.get("credentials") or []:
            refs.setdefault(
                f"{vault.owner.spec}/{item['name']}",
                (str(item["id"]), credential_settings(item.get("auth") or {})),
            )
    return found


class VaultsClient:
    """client.beta.agents.vaults and .credentials; a vault is read with its credentials."""

    def __init__(self, sdk: OpenAI, environ: Mapping[str, str], listings: Listings | None = None) -> None:
        self._sdk = sdk
        self._sdk_once = sdk.with_options(max_retries=0)
        self._environ = environ
        self._listings = listings or SeparateListings()  # the run's, shared with the kinds naming vaults

    def _credentials(self, vault_id: str) -> list[dict[str, Any]]:
        resource = self._sdk.beta.agents.vaults.credentials

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(
                vault_id, limit=PAGE_SIZE, order="asc", **query
            ).http_response

        return read_list(fetch, CREDENTIAL, page_size=PAGE_SIZE)

    def _live(self, raw: Mapping[str, Any]) -> LiveObject:
        return LiveObject.from_raw({**raw, "credentials": self._credentials(str(raw["id"]))})

    def list_all(self) -> list[LiveObject]:
        return self._listings.own(VAULTS, self._list)

    def listed(self) -> list[LiveObject]:
        """The vaults as this run lists them, for the kinds that name a vault or credential (one listing
        shared with the vault kind's own read)."""
        return self._listings.shared(VAULTS, self._list)

    def _list(self) -> list[LiveObject]:
        resource = self._sdk.beta.agents.vaults

        def fetch(query: dict[str, Any]) -> Any:
            return resource.with_raw_response.list(limit=PAGE_SIZE, order="asc", **query).http_response

        return [self._live(item) for item in read_list(fetch, VAULT, page_size=PAGE_SIZE)]

    def retrieve(self, object_id: str) -> LiveObject | None:
        import openai

        try:
            response = self._sdk.beta.agents.vaults.with_raw_response.retrieve(object_id).http_response
        except openai.NotFoundError:
            return None
        return self._live(read_object(response, VAULT))

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        with self._listings.writing(VAULTS):
            response = self._sdk_once.beta.agents.vaults.with_raw_response.create(
                name=payload["name"], metadata=payload["metadata"]
            ).http_response
            vault = read_object(response, VAULT)
            self._reconcile(str(vault["id"]), payload.get("credentials") or [], [])
        return self._live(vault)

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        fields = {k: payload[k] for k in ("name", "metadata") if k in payload}
        with self._listings.writing(VAULTS):
            response = self._sdk.beta.agents.vaults.with_raw_response.update(
                object_id, **fields
            ).http_response
            vault = read_object(response, VAULT)
            if "credentials" in payload:
                self._reconcile(object_id, payload["credentials"], self._credentials(object_id))
        return self._live(vault)

    def read_view(self, objects: Sequence[LiveObject], wanted: bool) -> None:
        return None

    def delete(self, object_id: str) -> None:
        import openai

        with self._listings.writing(VAULTS):
            try:
                response = self._sdk.beta.agents.vaults.with_raw_response.delete(object_id).http_response
            except openai.NotFoundError:
                return
        check_deleted(response, VAULT, object_id)

    def _reconcile(
        self, vault_id: str, wanted: Sequence[Mapping[str, Any]], live: Sequence[Mapping[str, Any]]
    ) -> None:
        """Create, rotate, re-label and delete credentials so the vault holds exactly `wanted`."""
        credentials = self._sdk.beta.agents.vaults.credentials
        by_name = {item["name"]: item for item in live}
        for cred in wanted:
            values = {p: resolve(_source(s), self._environ) for p, s in sorted(cred["sources"].items())}
            ordered = [values[p] for p in sorted(values)]
            current = by_name.pop(cred["name"], None)
            if current is not None and plain_auth(current.get("auth") or {}) != cred["auth"]:
                credentials.delete(current["id"], vault_id=vault_id)  # the method or its settings changed
                current = None
            recorded = parse_stamp((current or {}).get("metadata", {}).get(SECRET_KEY)) if current else None
            if current is None:
                salt = new_salt()
                metadata = {**cred["metadata"], SECRET_KEY: stamp(cred["revision"], salt, *ordered)}
                self._sdk_once.beta.agents.vaults.credentials.create(
                    vault_id, name=cred["name"], auth=_with_secrets(cred["auth"], values), metadata=metadata
                )
                continue
            rotate = (
                recorded is None
                or recorded.revision != cred["revision"]
                or cred.get("force_rotate")
                or not recorded.matches(*ordered)
            )
            salt = new_salt() if rotate or recorded is None else recorded.salt
            metadata = {**cred["metadata"], SECRET_KEY: stamp(cred["revision"], salt, *ordered)}
            if rotate:
                credentials.update(
                    current["id"], vault_id=vault_id, metadata=metadata, auth=_rotation(cred["auth"], values)
                )
            elif metadata != current.get("metadata"):
                credentials.update(current["id"], vault_id=vault_id, metadata=metadata)
        for stale in by_name.values():
            credentials.delete(stale["id"], vault_id=vault_id)


CREDENTIAL_KEYS = frozenset({"credentials", "secret_sources"})  # an update touching these reads every secret


def secrets_read_by(change: Change) -> list[tuple[str, str, SecretSource]]:
    """(credential, secret pointer, source) of every secret a planned vault write reads: a create writes every
    credential, and an update that touches credentials reconciles, and so reads, every one of them."""
    from orchestrator.engine.planning import Action

    essence = change.essence
    if change.kind != "vault" or essence is None or change.action not in (Action.CREATE, Action.UPDATE):
        return []
    if change.action is Action.UPDATE and not CREDENTIAL_KEYS & set(change.changed_keys):
        return []
    return [
        (name, pointer, _source(source))
        for name, entry in sorted((essence.get("secret_sources") or {}).items())
        for pointer, source in sorted((entry.get("sources") or {}).items())
    ]


def vault_kind(context: KindContext) -> Kind:
    """The vault kind of a run (backends.KindContext): a value changed at its source shows in the plan."""
    return Kind(
        "vault",
        VaultsMapping(context.environ),
        VaultsClient(context.sdk, context.environ, context.listings),
        written_after=frozenset({"credentials"}),
    )
