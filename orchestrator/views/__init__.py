"""Views: text, JSON and markdown renderings of plans and diagnostics; each returns a string."""
