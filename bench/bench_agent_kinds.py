"""Benchmark vaults, skills and their references against `orchestrator serve --latency-ms 50` (run by hand).

    python bench/bench_agent_kinds.py [--latency-ms 50] [--credentials 10] [--skills 5]
    python bench/bench_agent_kinds.py --write-project DIR --base-url URL   # only write the project

One agent whose MCP tool uses a credential of a vault of C credentials (secrets from the environment),
S skills (each a folder of 3 files) installed in one environment template the agent runs in, and a daily
automation of the agent:
1. the first apply (creates everything, S skill uploads);
2. a no-change diff (warm: in this process; cold: a subprocess), requests by route;
3. a no-change apply: 0 writes, 0 skill versions created (the zip is deterministic), the same reads;
4. a rotation (one credential's revision bumped): exactly 1 credential update (+ the vault's new stamp);
5. one skill file edited: exactly 1 new skill version and 1 template update (re-pinned), nothing else.
Checked (exit 1 if not): exit codes and the counts of writes and skill versions above (no-change diffs:
0 writes); the requests by route and the wall times are printed, not checked. "warm" runs in this process
after an untimed diff has imported the SDK; "cold" is a subprocess.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import emulated, writes
from bench.bench_agents import KEY_ENV, Run, cold, verdict, warm
from bench.bench_agents import write_project as write_agents_project

SECRET_ENV = "BENCH_SECRET_{}"


def write_project(root: Path, base_url: str, credentials: int, skills: int) -> None:
    write_agents_project(root, base_url)
    write_vault(root, credentials, revision_of_first=1)
    for index in range(skills):
        folder = root / "skills" / f"skill-{index}"
        (folder / "reference").mkdir(parents=True, exist_ok=True)
        (folder / "SKILL.md").write_text(
            f"---\nname: skill-{index}\ndescription: Bench skill {index}\n---\nDo task {index} well.\n",
            encoding="utf-8",
        )
        for part in range(2):
            (folder / "reference" / f"part-{part}.md").write_text(
                f"reference {index}-{part}\n", encoding="utf-8"
            )
        (root / "specs" / f"skill-{index}.yaml").write_text(
            f"version: 1\nkind: skill\nname: skill-{index}\nfolder: ../skills/skill-{index}\n",
            encoding="utf-8",
        )
    names = ", ".join(f"skill-{i}" for i in range(skills))
    (root / "specs" / "bench-env.yaml").write_text(
        f"version: 1\nkind: environment\nname: bench-env\nskills: [{names}]\n", encoding="utf-8"
    )
    (root / "specs" / "analyst.yaml").write_text(
        "version: 1\nname: analyst\nmodel: gpt-5.4\ninstructions: You analyse.\nenvironment: bench-env\n"
        "tools:\n  - {type: mcp, server_label: crm, server_url: 'https://mcp.example.com', credential: crm/token-0}\n",
        encoding="utf-8",
    )
    (root / "specs" / "digest.yaml").write_text(
        "version: 1\nkind: automation\nname: digest\ntype: periodic\nexpression: '0 7 * * *'\ntimezone: UTC\n"
        "target: {agent: analyst, environment: bench-env, vaults: [crm], input: Summarise.}\n",
        encoding="utf-8",
    )


def write_vault(root: Path, credentials: int, *, revision_of_first: int) -> None:
    lines = ["version: 1", "kind: vault", "name: crm", "credentials:"]
    for index in range(credentials):
        revision = revision_of_first if index == 0 else 1
        lines += [
            f"  - name: token-{index}",
            f"    revision: {revision}",
            f"    auth: {{type: static_bearer, mcp_server_url: 'https://mcp{index}.example.com', "
            f"token: {{from_env: {SECRET_ENV.format(index)}}}}}",
        ]
    (root / "specs" / "crm.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def versions_made(requests: dict[str, int]) -> int:
    return requests.get("POST /v1/skills", 0) + requests.get("POST /v1/skills/{id}/versions", 0)


def show(label: str, run: Run, good: bool) -> None:
    routes = {k: v for k, v in sorted(run.requests.items()) if k != "total"}
    print(
        f"{label}: {run.seconds:.2f} s, {run.requests['total']} requests, {writes(run.requests)} writes, "
        f"{versions_made(run.requests)} skill versions; {routes} -> {verdict(good)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--credentials", type=int, default=10)
    parser.add_argument("--skills", type=int, default=5)
    parser.add_argument("--write-project", type=Path, default=None, help="Only write the project into DIR.")
    parser.add_argument("--base-url", default=None, help="With --write-project: the target's base URL.")
    options = parser.parse_args()
    for index in range(options.credentials):
        os.environ[SECRET_ENV.format(index)] = f"bench-secret-{index}"
    if options.write_project is not None:
        write_project(
            options.write_project,
            options.base_url or "http://127.0.0.1:8000/v1",
            options.credentials,
            options.skills,
        )
        print(f"wrote {options.write_project}; set {KEY_ENV} and {SECRET_ENV.format('<i>')} to apply")
        return 0
    ok = True
    with emulated("bench-agent-kinds-", options.latency_ms) as (tmp, root_url):
        project = tmp / "project"
        write_project(project, root_url + "/v1", options.credentials, options.skills)
        print(
            f"emulator: {root_url} --latency-ms {options.latency_ms}; 1 agent, 1 vault of "
            f"{options.credentials} credentials, {options.skills} skills, 1 template, 1 automation"
        )
        warm(project, root_url, "diff")  # imports the SDK, as any first command does: not timed
        first = warm(project, root_url, "apply", "--yes")
        good = first.exit_code == 0 and versions_made(first.requests) == options.skills
        ok &= good
        show("first apply (warm)", first, good)

        diffs = {how: run(project, root_url, "diff") for how, run in (("warm", warm), ("cold", cold))}
        for how, diff in diffs.items():
            good = diff.exit_code == 0 and writes(diff.requests) == 0
            ok &= good
            show(f"no-change diff ({how})", diff, good)

        quiet = warm(project, root_url, "apply", "--yes")
        good = (
            quiet.exit_code == 0
            and writes(quiet.requests) == 0
            and versions_made(quiet.requests) == 0
            and quiet.requests["total"] == diffs["warm"].requests["total"]
        )
        ok &= good
        show("no-change apply (warm)", quiet, good)

        write_vault(project, options.credentials, revision_of_first=2)
        os.environ[SECRET_ENV.format(0)] = "bench-secret-0-rotated"
        rotated = warm(project, root_url, "apply", "--yes")
        updates = rotated.requests.get("POST /v1/vaults/{id}/credentials/{credential_id}", 0)
        good = (
            rotated.exit_code == 0
            and updates == 1
            and writes(rotated.requests) == 2
            and versions_made(rotated.requests) == 0
        )  # the credential, and the vault's new stamp
        ok &= good
        show("rotate one credential (warm)", rotated, good)

        edited = project / "skills" / "skill-0" / "reference" / "part-1.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
        one = warm(project, root_url, "apply", "--yes")
        template_updates = one.requests.get("POST /v1/agents/environments/templates/{id}", 0)
        good = (
            one.exit_code == 0
            and versions_made(one.requests) == 1
            and template_updates == 1
            and writes(one.requests) == 2
        )
        ok &= good
        show("one skill file edited (warm)", one, good)
        again = warm(project, root_url, "diff")
        good = again.exit_code == 0
        ok &= good
        show("diff after the edit (warm)", again, good)
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
