"""Cross-site and DNS-rebinding guards: which Host and Origin headers the emulator answers.

A browser on the same machine can reach a loopback server. Without a key, a page of any site could
POST a `text/plain` body (no preflight) and create objects, or rebind its own name to 127.0.0.1 and
read what the emulator holds, `/_emulator/faults` included. Clients of the API (the SDK, curl) send
no `Origin`, and name the server by the address they dialled; browsers always send `Origin` on a
cross-site POST and send the page's own name as `Host` after a rebinding. So, as the MCP SDK's HTTP
transport does:

- `Host` must name a loopback address (`localhost`, `127.0.0.0/8`, `::1`) while the emulator listens
  on loopback; off loopback (which needs a key) it must name the address it listens on, or loopback.
- `Origin`, when present, must be a loopback origin or the server's own (the same host and port as
  `Host`); `Origin: null` (sandboxed pages, file URLs) is refused.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from orchestrator.emulator.errors import ApiError


def is_loopback_name(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, str]:
    """`host[:port]` (with `[v6]:port`) as (host, port); the port is '' when absent."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host.lower(), rest[1:] if rest.startswith(":") else ""
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host.lower(), port
    return value.lower(), ""


class OriginGuard:
    """The Host and Origin rules for one listening address."""

    def __init__(self, bound_host: str = "127.0.0.1") -> None:
        self.bound_host = bound_host.strip("[]").lower()
        self.loopback_only = is_loopback_name(self.bound_host)

    def allowed_host(self, host: str) -> bool:
        if is_loopback_name(host):
            return True
        if self.loopback_only:
            return False
        # Off loopback (a key is required there): the address it listens on; every interface takes any.
        return self.bound_host in ("", "0.0.0.0", "::") or host == self.bound_host

    def check(self, headers: dict[str, str]) -> None:
        """Raise the answer to a request whose Host or Origin the emulator must not serve."""
        host_header = headers.get("host", "")
        host, port = split_host(host_header)
        if not host or not self.allowed_host(host):
            raise ApiError(
                421,
                "Invalid Host header: the emulator answers requests addressed to "
                + ("loopback only." if self.loopback_only else "the address it listens on."),
                code="invalid_host",
            )
        origin = headers.get("origin")
        if origin is None:
            return
        parts = urlsplit(origin.strip())
        origin_host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not origin_host:
            raise ApiError(
                403,
                "Cross-origin requests are refused (Origin: null or not a web origin).",
                code="invalid_origin",
            )
        if is_loopback_name(origin_host):
            return
        same = origin_host == host and str(parts.port or "") in (port, "")
        if not same:
            raise ApiError(
                403,
                "Cross-origin requests are refused: the emulator serves no other site's pages.",
                code="invalid_origin",
            )
