"""Names shared by the client side and the local emulator (the only module both import)."""

from __future__ import annotations

# The API key the embedded `local` target uses when none is configured. The emulator
# accepts any bearer token unless it was started with --api-key.
LOCAL_API_KEY = "sk-local-emulator"

# Environment variable `orchestrator serve` reads for the key it requires.
EMULATOR_API_KEY_ENV = "ORCHESTRATOR_EMULATOR_API_KEY"

# Admin endpoints of the emulator, outside /v1 so they never collide with the API.
ADMIN_PREFIX = "/_emulator"
ADMIN_REQUESTS_PATH = ADMIN_PREFIX + "/requests"  # GET counts, DELETE resets
ADMIN_HEALTH_PATH = ADMIN_PREFIX + "/health"
ADMIN_FAULTS_PATH = ADMIN_PREFIX + "/faults"  # GET/POST the fault settings at run time
ADMIN_SCRIPT_PATH = ADMIN_PREFIX + "/script"  # POST a scripted model's steps by key, DELETE ?key=, GET counts

# The two wire protocols a target speaks (Target.backend): the Assistants API (threads and runs) and OpenAI's
# Agents API (sessions). Protocol questions compare with these; which kinds a backend has is a kind question,
# asked of orchestrator.kind_registry (on_backend, primary_on, deploys).
ASSISTANTS_BACKEND = "assistants"
AGENTS_BACKEND = "agents"

# Beta headers the real API expects.
AGENTS_BETA = "agents=v1"

# Default location of the embedded emulator's state, relative to the project root.
STATE_DIR = ".orchestrator"
LOCAL_DB_NAME = "local.db"

# USD per 1M tokens (input, output) of the models run and chat estimate costs for, as of
# MODEL_PRICES_AS_OF (ISO date). runtime/pricing.py prices turns with them; the emulator's
# built-in model charges agent sessions' spend_control with the same figures.
MODEL_PRICES_AS_OF = "2026-11-01"
MODEL_PRICES: dict[str, tuple[float, float]] = {
    "gpt-5.5": (5.00, 30.00),
    "gpt-5.4": (2.50, 15.00),
    "gpt-5.4-mini": (0.75, 4.50),
    "gpt-5.4-nano": (0.20, 1.25),
    "gpt-5.2": (1.75, 14.00),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
}
