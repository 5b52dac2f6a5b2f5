"""The resource kinds, one module each holding its `DEFINITION` (orchestrator.kind_registry finds them).

A definition module stays pure: no openai SDK, no click; its backend mapping and client are named by
dotted path and imported only when a run talks to a backend. See docs/development/adding-a-kind.md.
"""
