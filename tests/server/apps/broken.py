"""A module whose import fails inside the user's own code."""

raise RuntimeError("boom while importing")
