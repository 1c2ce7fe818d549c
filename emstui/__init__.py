"""emstui: a full-screen terminal monitor for international EMS and postal parcels."""

__version__ = "0.1.0"
