"""The domain: parcel numbers, statuses, events and timelines, countries, time, clean text.

Imports nothing else from emstui; every other layer may import it."""
