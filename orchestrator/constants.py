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

# Beta headers the real API expects.
AGENTS_BETA = "agents=v1"

# Default location of the embedded emulator's state, relative to the project root.
STATE_DIR = ".orchestrator"
LOCAL_DB_NAME = "local.db"
