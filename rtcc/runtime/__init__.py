"""Wiring of the running product: services, the ingest loop, start-up tasks."""
