"""Function handlers of the retail-analyst spec (bound in specs/retail-analyst.yaml)."""
