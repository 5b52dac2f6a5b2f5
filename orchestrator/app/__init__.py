"""The application layer: what a command does, under both front ends (cli/ and mcp/).

Selecting the project (project), building desired state from the working tree or a git revision (state),
reading live state and the apply lock (live), planning (planning), applying through one path (deploy),
rollback's plan (rollback), listing, history, import, payload render, and watch's per-target session.
Nothing here prints: progress, diagnostics and messages go through the Reporter its caller passes in
(report.py); the CLI implements it with click and the spinner, the MCP server with a collector.
"""
