"""The ASGI application: admin endpoints, then for /v1 count, delay, fault, authenticate, dispatch.

Nothing here logs a request body or a key; with `log_requests` only method, path and status.
A database that cannot be used answers 5xx with the reason (and one log line), never a 200 that
would be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect, Request

from orchestrator.constants import (
    ADMIN_FAULTS_PATH,
    ADMIN_HEALTH_PATH,
    ADMIN_REQUESTS_PATH,
    ADMIN_SCRIPT_PATH,
)
from orchestrator.emulator import routes
from orchestrator.emulator.bodies import BodyLimits, limited_request, open_form, parse_json, read_body
from orchestrator.emulator.context import ApiRequest, Context, Reply
from orchestrator.emulator.errors import ApiError
from orchestrator.emulator.faults import Fault, FaultInjector, FaultSettings, RequestCounter
from orchestrator.emulator.origin import OriginGuard
from orchestrator.emulator.scripts import check_steps
from orchestrator.emulator.store import StoreError, StoreFailure

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LOGGER = logging.getLogger("orchestrator.emulator")
LOGGER.addHandler(logging.NullHandler())  # silent unless the host configures logging (`serve` does)
SETTING_NAMES = tuple(FaultSettings.__dataclass_fields__)


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def injected_error(fault: Fault) -> ApiError:
    if fault is Fault.RATE_LIMITED:
        return ApiError(
            429,
            "Rate limit reached (injected by the local emulator). Please try again in 1s.",
            error_type="requests",
            code="rate_limit_exceeded",
            headers={"retry-after": "1", "retry-after-ms": "20"},
        )
    status = 500 if fault is Fault.SERVER_ERROR else 503
    message = (
        "The server had an error while processing your request (injected by the local emulator)."
        if status == 500
        else "The engine is currently overloaded (injected by the local emulator)."
    )
    return ApiError(status, message, error_type="server_error", headers={"retry-after-ms": "20"})


STORE_STATUS = {
    StoreFailure.FULL: 507,
    StoreFailure.MOVED: 500,
    StoreFailure.BROKEN: 500,
    StoreFailure.BUSY: 503,
}


def store_error(error: StoreError) -> ApiError:
    """A database failure as an API error; only a lock held elsewhere is worth a retry."""
    retry = error.failure is StoreFailure.BUSY
    return ApiError(
        STORE_STATUS[error.failure],
        f"{error.message[:1].upper()}{error.message[1:]}. Nothing was saved.",
        error_type="server_error",
        code=f"database_{error.failure.value}",
        headers={} if retry else {"x-should-retry": "false"},
    )


class EmulatorApp:
    """One emulator instance: its store, fault settings and request counters."""

    def __init__(
        self,
        context: Context,
        *,
        api_key: str | None = None,
        log_requests: bool = False,
        limits: BodyLimits | None = None,
        bound_host: str = "127.0.0.1",
    ) -> None:
        self.context = context
        self.guard = OriginGuard(bound_host)
        self.api_key = api_key
        self.log_requests = log_requests
        self.limits = limits or BodyLimits()
        self.counter = RequestCounter()

    @property
    def faults(self) -> FaultInjector:
        return self.context.faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        try:
            self.guard.check(dict(request.headers))
        except ApiError as error:
            status = error.status
            await self.send_reply(send, Reply(error.body(), status=error.status, headers=error.headers))
        else:
            try:
                if path.startswith("/v1/") or path == "/v1":
                    status = await self.serve_api(request, receive, send)
                else:
                    reply = await self.serve_admin(request, receive)
                    status = reply.status
                    await self.send_reply(send, reply)
            except ClientDisconnect:
                # The client went away mid-request (kill -9 of an apply does this): a normal event, not a bug.
                # Nothing was committed: the body is read before the handler's transaction starts.
                LOGGER.info(
                    "%s %s: the client disconnected before its request was read", request.method, path
                )
                return
        if self.log_requests:
            LOGGER.info("%s %s %s", request.method, path, status)

    # Admin

    async def serve_admin(self, request: Request, receive: Receive) -> Reply:
        try:
            self.authenticate(request)
            return await self.dispatch_admin(limited_request(request, receive, self.limits.json_bytes))
        except ApiError as error:
            return Reply(error.body(), status=error.status, headers=error.headers)

    async def dispatch_admin(self, request: Request) -> Reply:
        path, method = request.url.path, request.method
        if path == ADMIN_HEALTH_PATH and method == "GET":
            # "model" says what answers unscripted turns: the built-in (scripted) model or the stand-in
            stand_in = self.faults.settings.model_stand_in is not None
            return Reply({"status": "ok", "model": "stand-in" if stand_in else "scripted"})
        if path == ADMIN_REQUESTS_PATH and method == "GET":
            return Reply(self.counter.snapshot())
        if path == ADMIN_REQUESTS_PATH and method == "DELETE":
            self.counter.reset()
            return Reply(self.counter.snapshot())
        if path == ADMIN_FAULTS_PATH and method == "GET":
            return Reply(self.faults.settings.to_json())
        if path == ADMIN_FAULTS_PATH and method == "POST":
            changes = parse_json(await read_body(request)) or {}
            if not isinstance(changes, dict):
                raise ApiError(400, "Expected a JSON object of settings.")
            unknown = sorted(set(changes) - set(SETTING_NAMES))
            if unknown:
                raise ApiError(400, f"Unknown setting: '{unknown[0]}'.", param=unknown[0])
            try:
                return Reply(self.faults.update(changes).to_json())
            except ValueError as error:
                raise ApiError(400, str(error)) from None
        if path == ADMIN_SCRIPT_PATH:
            return await self.dispatch_script(request, method)
        raise ApiError(404, f"Invalid URL ({method} {path})")

    async def dispatch_script(self, request: Request, method: str) -> Reply:
        """The scripted model (scripts.py): POST {key, steps}, DELETE ?key= (all without), GET the counts."""
        scripts = self.context.scripts
        if method == "GET":
            return Reply({"scripts": scripts.snapshot()})
        if method == "DELETE":
            scripts.clear(request.query_params.get("key"))
            return Reply({"scripts": scripts.snapshot()})
        if method != "POST":
            raise ApiError(405, f"Method {method} is not allowed here.")
        body = parse_json(await read_body(request))
        if not isinstance(body, dict) or not isinstance(body.get("key"), str) or not body["key"]:
            raise ApiError(
                400,
                "Expected a JSON object with a 'key' (a thread, session, assistant or agent id) and 'steps'.",
                param="key",
            )
        problems = check_steps(body.get("steps"))
        if problems:
            raise ApiError(400, "; ".join(problems), param="steps")
        try:
            scripts.set(body["key"], body["steps"])
        except ValueError as error:
            raise ApiError(400, str(error)) from None
        return Reply({"key": body["key"], "steps": len(body["steps"])})

    # API

    async def serve_api(self, request: Request, receive: Receive, send: Send) -> int:
        matched = routes.match(request.method, request.url.path)
        if matched is not None:
            self.counter.add(matched[0].name)
        settings = self.faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        fault = self.faults.decide()
        if fault is Fault.DROPPED:
            await self.drop_connection(send)
            return 0
        try:
            if fault is not None and fault is not Fault.LOST_RESPONSE:
                raise injected_error(fault)
            self.authenticate(request)
            if matched is None:
                raise ApiError(404, f"Invalid URL ({request.method} {request.url.path})")
            route, path_params = matched
            limit = self.limits.upload_bytes if route.uploads else self.limits.json_bytes
            async with contextlib.AsyncExitStack() as resources:
                limited = limited_request(request, receive, limit)
                api_request = await self.read_request(limited, path_params, resources)
                with self.context.store.transaction():
                    reply = route.handler(self.context, api_request)
        except ApiError as error:
            reply = Reply(error.body(), status=error.status, headers=error.headers)
        except StoreError as error:
            LOGGER.error("%s %s: %s", request.method, request.url.path, error.message)
            failure = store_error(error)
            reply = Reply(failure.body(), status=failure.status, headers=failure.headers)
        except ClientDisconnect:
            raise
        except Exception:
            LOGGER.exception("emulator bug while serving %s %s", request.method, request.url.path)
            reply = Reply(
                ApiError(500, "The local emulator failed on this request.", error_type="server_error").body(),
                status=500,
            )
        if fault is Fault.LOST_RESPONSE:
            await self.drop_connection(send)
            return 0
        await self.send_reply(send, reply)
        return reply.status

    def authenticate(self, request: Request) -> None:
        if self.api_key is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code="invalid_api_key",
            )
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        ):
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    async def read_request(
        self, request: Request, path_params: dict[str, str], resources: contextlib.AsyncExitStack
    ) -> ApiRequest:
        """The parsed request; uploaded files stay open in `resources` until the reply is made."""
        content_type = request.headers.get("content-type", "")
        body: Any = None
        form: dict[str, Any] = {}
        if request.method == "POST":
            if content_type.startswith("multipart/form-data"):
                form = await resources.enter_async_context(open_form(request, self.limits))
            else:
                body = parse_json(await read_body(request))
        return ApiRequest(
            method=request.method,
            path_params=path_params,
            query=dict(request.query_params),
            query_items=tuple(request.query_params.multi_items()),
            headers=dict(request.headers),
            body=body,
            form=form,
        )

    @staticmethod
    async def drop_connection(send: Send) -> None:
        """Start a response and stop: uvicorn closes the socket, the client sees a broken response."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )

    @staticmethod
    async def send_reply(send: Send, reply: Reply) -> None:
        payload = reply.raw if reply.raw is not None else encode(reply.body)
        headers = [
            (b"content-type", reply.media_type.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", f"req_{secrets.token_hex(16)}".encode()),
        ]
        headers += [(name.encode(), value.encode()) for name, value in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class IncompleteResponseFilter(logging.Filter):
    """Hide uvicorn's complaint about the responses the emulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def quiet_dropped_responses() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(item, IncompleteResponseFilter) for item in logger.filters):
        logger.addFilter(IncompleteResponseFilter())
