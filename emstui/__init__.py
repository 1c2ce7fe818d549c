"""emstui: a full-screen terminal monitor for international EMS and postal parcels."""

__version__ = "0.1.0"

# Logging stays quiet unless the program configures it: see emstui.core.logs, where every
# logger is taken (not imported here, so `emstui check` starts without `logging`).
