"""Change a local target's objects by hand, as someone in a dashboard (or another tool) would.

The docs' executed examples use it to show what orchestrator does about changes it did not make: drift
(an edited assistant or agent), a duplicate (a copy made by another tool), a stale saved plan, objects
to import. Run it in the project folder; it serves the local targets' database with `orchestrator serve` on a
free loopback port for the time of the change. `create` prints the new object's id, the others nothing.

    python examples/dashboard.py [KIND] edit SPEC FIELD=VALUE...  # update what SPEC deploys (env dev)
    python examples/dashboard.py [KIND] copy SPEC                 # one more object, a copy of it
    python examples/dashboard.py [KIND] create FIELD=VALUE...     # an object no project manages

KIND is assistant (the default), agent, vault, environment (a template), automation or skill. A skill
is created from a folder (`skill create FOLDER`, zipped with the folder as its top entry), and copied
with its archive (the ownership stamp rides inside it); a vault's `credentials=[{"name": ..., "auth":
...}]` are created with it, one request each, as a dashboard does, and their ids printed after its.
A VALUE that is JSON (`1.3`, `["a"]`, `{"k": "v"}`) is sent as that JSON, any other as a string.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

COPIED = ("model", "name", "description", "instructions", "tools", "metadata", "temperature", "top_p")
COLLECTIONS = {
    "assistant": "/assistants",
    "agent": "/agents",
    "vault": "/vaults",
    "environment": "/agents/environments/templates",
    "automation": "/agents/automations",
    "skill": "/skills",
}


def main(argv: list[str]) -> int:
    kind = argv.pop(0) if argv and argv[0] in COLLECTIONS else "assistant"
    if len(argv) < 2 or argv[0] not in ("edit", "copy", "create"):
        sys.stderr.write(__doc__ or "")
        return 2
    server = subprocess.Popen(["orchestrator", "serve", "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()  # Serving OpenAI-compatible API on http://127.0.0.1:PORT/v1 (db: …)
        base = line.split(" on ", 1)[1].split()[0]
        collection = COLLECTIONS[kind]
        if argv[0] == "create":
            sys.stdout.write(create(base, kind, argv[1:]) + "\n")
            return 0
        if kind == "skill":
            found, archive = managed_skill(base, argv[1])
        else:
            found, archive = managed(base, collection, argv[1]), b""
        if argv[0] == "edit":
            call(base, "POST", f"{collection}/{found['id']}", fields(argv[2:]))
        elif kind == "skill":
            upload(base, collection, archive)
        else:
            call(base, "POST", collection, {k: found[k] for k in COPIED if found.get(k) is not None})
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def create(base: str, kind: str, args: list[str]) -> str:
    """Make one object no project manages; its id (a vault's, then its credentials')."""
    if kind == "skill":
        return upload(base, "/skills", zipped(Path(args[0])))["id"]
    body = fields(args)
    credentials = body.pop("credentials", []) if kind == "vault" else []
    ids = [call(base, "POST", COLLECTIONS[kind], body)["id"]]
    for credential in credentials if isinstance(credentials, list) else []:
        ids.append(call(base, "POST", f"/vaults/{ids[0]}/credentials", credential)["id"])
    return " ".join(ids)


def zipped(folder: Path) -> bytes:
    """The folder as a zip whose top entry is the folder, as a skill upload is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def upload(base: str, collection: str, archive: bytes) -> dict:
    """POST a skill archive as the multipart form `files` (the SDK's skills.create)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="skill.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + archive
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return call(base, "POST", collection, body, f"multipart/form-data; boundary={boundary}")


def fields(pairs: list[str]) -> dict[str, object]:
    body: dict[str, object] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            body[key] = json.loads(value)
        except ValueError:
            body[key] = value
    return body


def names_spec(owner: str, spec: str, environment: str) -> bool:
    """An ownership stamp `project/environment/spec[;…]` names SPEC in ENVIRONMENT."""
    return owner.split(";")[0].split("#")[0].split("/")[1:] == [environment, spec]


def managed(base: str, collection: str, spec: str, environment: str = "dev") -> dict:
    """The oldest object whose ownership stamp (its metadata, or a template's name) names SPEC."""
    listing = call(base, "GET", f"{collection}?limit=100&order=asc")
    for item in listing["data"]:
        owner = (item.get("metadata") or {}).get("orchestrator.owner") or item.get("name") or ""
        if names_spec(owner, spec, environment):
            return item
    raise SystemExit(f"no live object of spec {spec} in environment {environment}")


def managed_skill(base: str, spec: str, environment: str = "dev") -> tuple[dict, bytes]:
    """The oldest skill whose archive's `.orchestrator/owner.json` names SPEC, and that archive."""
    for item in call(base, "GET", "/skills?limit=100&order=asc")["data"]:
        archive = call(base, "GET", f"/skills/{item['id']}/content", raw=True)
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            for name in opened.namelist():
                stamp = json.loads(opened.read(name)) if name.endswith(".orchestrator/owner.json") else {}
                if names_spec(stamp.get("owner", ""), spec, environment):
                    return item, archive
    raise SystemExit(f"no live skill of spec {spec} in environment {environment}")


def call(
    base: str,
    method: str,
    path: str,
    body: dict | bytes | None = None,
    content_type: str = "application/json",
    raw: bool = False,
):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        method=method,
        data=data,
        headers={
            "Authorization": "Bearer local",
            "Content-Type": content_type,
            "OpenAI-Beta": "agents=v1",  # the Agents API, vaults and skills ask for it
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read() if raw else json.load(response)
    except urllib.error.HTTPError as error:  # what the server said, as a dashboard shows it
        raise SystemExit(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}") from None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
