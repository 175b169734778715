"""The ``rtcc`` command line (top layer)."""
