"""Function handlers of the spanish-tutor spec (bound in specs/spanish-tutor.yaml)."""
