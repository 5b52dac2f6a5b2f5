"""A local, stateful server speaking the OpenAI wire protocol (assistants, files, vector stores,
threads and runs, agents), persisted in SQLite, with fault injection for testing clients.

It imports only the standard library, starlette/uvicorn and `orchestrator.constants`.
"""

from orchestrator.emulator.server import EmulatorServer, serve_forever

__all__ = ["EmulatorServer", "serve_forever"]
