"""Reading one `kind: environment` spec into a DesiredEnvironment (an environment template of the Agents API).

Runs offline: the files it names are found and described (hashed), never uploaded here.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from types import MappingProxyType

from orchestrator.diagnostics import Diagnostic
from orchestrator.engine.desired import DesiredEnvironment
from orchestrator.engine.knowledge_files import MAX_ENVIRONMENT_FILES, EnvironmentFile
from orchestrator.engine.migration import WORKSPACE
from orchestrator.engine.spec_reading import _position
from orchestrator.spec.loading import Document


class EnvironmentReading:
    """Reads a `kind: environment` spec: its files, packages, network, skills and the rest, checked.

    A part of the Builder (orchestrator.engine.building), called from `build_one` (engine.spec_reading), whose
    `_files` it matches its files with; the Builder sets what it reads (project, environment and the
    environment schema's validator, made once)."""

    def _build_environment(
        self, doc: Document, path: Path, shown: str
    ) -> tuple[DesiredEnvironment | None, list[Diagnostic]]:
        from orchestrator.spec.schema_errors import schema_diagnostics
        from orchestrator.spec.schemas import validator_for

        if self._environment_validator is None:
            self._environment_validator = validator_for("environment")
        found = schema_diagnostics(doc, self._environment_validator)
        if found:
            return None, found
        data = doc.data
        left_out = self._left_out_here(doc, data)
        if left_out is not None:
            return None, left_out
        files: dict[str, EnvironmentFile] = {}
        for index, item in enumerate(data.get("files") or []):
            where = f"/files/{index}"
            if "inline" in item:
                targets = [EnvironmentFile(item["to"], inline=item["inline"])]
            else:
                matched = self._files(
                    doc, where + "/from", [item["from"]], found, limit=MAX_ENVIRONMENT_FILES
                )
                if not matched:
                    continue
                folder = item["to"].endswith("/") or len(matched) > 1 or any(c in item["from"] for c in "*?[")
                if folder and not item["to"].endswith("/"):
                    found.append(
                        doc.error_at(
                            where + "/to",
                            f"`{item['from']}` matches {len(matched)} files: `to` must "
                            "be a folder (end it with `/`)",
                        )
                    )
                    continue
                targets = [
                    EnvironmentFile(
                        item["to"] + PurePosixPath(local.path).name if folder else item["to"], local=local
                    )
                    for local in matched
                ]
            for target in targets:
                if ".." in PurePosixPath(target.to).parts:
                    found.append(doc.error_at(where + "/to", f"`{target.to}` must stay under {WORKSPACE}"))
                elif target.to in files:
                    found.append(doc.error_at(where + "/to", f"two files go to `{target.to}`"))
                else:
                    files[target.to] = target
        if len(files) > MAX_ENVIRONMENT_FILES:
            found.append(
                doc.error_at("/files", f"{len(files)} files in all; the API allows {MAX_ENVIRONMENT_FILES}")
            )
        network = data.get("network")
        if network is not None:
            if network["access"] != "restricted" and (
                network.get("allowed_domains") or network.get("blocked_domains")
            ):
                found.append(doc.error_at("/network/access", "domain lists need `access: restricted`"))
            if network.get("allowed_domains") and network.get("blocked_domains"):
                found.append(
                    doc.error_at(
                        "/network/blocked_domains",
                        "`blocked_domains` cannot be combined with `allowed_domains`",
                    )
                )
            for index, domain in enumerate(network.get("blocked_domains") or []):
                if "*" in domain:
                    found.append(
                        doc.error_at(
                            f"/network/blocked_domains/{index}", "wildcard domains are not supported"
                        )
                    )
        if any(d.severity == "error" for d in found):
            return None, found
        packages = data.get("packages")
        where = _position(doc, "/name") or (None, None)
        return DesiredEnvironment(
            name=data["name"],
            file=shown,
            path=path,
            files=tuple(files[k] for k in sorted(files)),
            packages=None
            if packages is None
            else MappingProxyType({k: tuple(v) for k, v in packages.items()}),
            network=None if network is None else MappingProxyType(dict(network)),
            env=None if "env" not in data else MappingProxyType(dict(data["env"])),
            setup_commands=None
            if "setup_commands" not in data
            else tuple(MappingProxyType(dict(c)) for c in data["setup_commands"]),
            skills=tuple(s if isinstance(s, str) else s["name"] for s in data.get("skills") or ()),
            skill_pins=MappingProxyType(
                {
                    s["name"]: f"version {s['version']}"
                    for s in data.get("skills") or ()
                    if isinstance(s, dict) and "version" in s
                }
            ),
            capability_directories=None
            if "capability_directories" not in data
            else tuple(data["capability_directories"]),
            desktop=None if "desktop" not in data else MappingProxyType(dict(data["desktop"])),
            dependencies=frozenset({path.resolve()}),
            name_line=where[0],
            name_column=where[1],
            adopt_id=data.get("adopt_id"),  # written by `orchestrator import`
        ), found
