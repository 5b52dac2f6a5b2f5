"""Change the local target's assistants by hand, as someone in a dashboard (or another tool) would.

The docs' executed examples use it to show what orchestrator does about changes it did not make: drift
(an edited assistant), a duplicate (a copy made by another tool), a stale saved plan, objects to import.
Run it in the project folder; it serves the `local` target's database with `orchestrator serve` on a
free loopback port for the time of the change. `create` prints the new assistant's id, the others nothing.

    python examples/dashboard.py edit SPEC FIELD=VALUE...   # update the assistant SPEC deploys (env dev)
    python examples/dashboard.py copy SPEC                  # one more assistant, a copy of it
    python examples/dashboard.py create FIELD=VALUE...      # an assistant no project manages

A VALUE that is JSON (`1.3`, `["a"]`, `{"k": "v"}`) is sent as that JSON, any other as a string.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

COPIED = ("model", "name", "description", "instructions", "tools", "metadata", "temperature", "top_p")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("edit", "copy", "create"):
        sys.stderr.write(__doc__ or "")
        return 2
    server = subprocess.Popen(["orchestrator", "serve", "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()  # Serving OpenAI-compatible API on http://127.0.0.1:PORT/v1 (db: …)
        base = line.split(" on ", 1)[1].split()[0]
        if argv[0] == "create":
            sys.stdout.write(call(base, "POST", "/assistants", fields(argv[1:]))["id"] + "\n")
            return 0
        found = managed(base, argv[1])
        if argv[0] == "edit":
            call(base, "POST", f"/assistants/{found['id']}", fields(argv[2:]))
        else:
            call(base, "POST", "/assistants", {k: found[k] for k in COPIED if found.get(k) is not None})
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def fields(pairs: list[str]) -> dict[str, object]:
    body: dict[str, object] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            body[key] = json.loads(value)
        except ValueError:
            body[key] = value
    return body


def managed(base: str, spec: str, environment: str = "dev") -> dict:
    """The oldest assistant whose ownership stamp names SPEC in ENVIRONMENT."""
    listing = call(base, "GET", "/assistants?limit=100&order=asc")
    for item in listing["data"]:
        owner = (item.get("metadata") or {}).get("orchestrator.owner", "").split(";")[0]
        if owner.split("/")[1:] == [environment, spec]:
            return item
    raise SystemExit(f"no live assistant of spec {spec} in environment {environment}")


def call(base: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer local", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
