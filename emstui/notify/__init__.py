"""Notifications: tell the user about a parcel's change by running a command, through the
terminal, or (with the optional extra) through Apprise; each change once, across processes."""
