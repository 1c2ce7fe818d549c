"""emstui: a full-screen terminal monitor for international EMS and postal parcels."""

__version__ = "0.1.0"

import logging as _logging

# A library stays quiet unless the program configures logging (the TUI and `--once` do).
_logging.getLogger("emstui").addHandler(_logging.NullHandler())
