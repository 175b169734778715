"""Accounts, roles, passwords, sessions and API tokens (domain layer: no web framework here)."""
