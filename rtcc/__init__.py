"""RTCC core: settings, database, models, clock, events, errors; plus the API and CLI on top."""

__version__ = "0.1.0"
