"""The orchestrator as MCP tools and resources for AI clients (`orchestrator mcp`), on the official SDK.

Only `orchestrator mcp` imports this package. Inside it, `import mcp` is the SDK: imports are absolute,
so this package (`orchestrator.mcp`) never shadows the top-level `mcp` distribution.
"""
