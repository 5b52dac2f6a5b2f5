"""Run time: talk to a live assistant and execute its function calls with the bound Python handlers.

Only `run`, `chat` and `validate --handlers` import this package; it is where handler code is imported.
"""
