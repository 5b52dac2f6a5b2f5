"""Assistant Orchestrator: keep OpenAI assistants and agents in git."""

__version__ = "0.2.0"
