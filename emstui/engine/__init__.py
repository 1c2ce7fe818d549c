"""The refresh engine: what to check when, against which source, and what changed."""
