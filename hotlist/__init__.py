"""Hotlists: import, the match index, and hits with their workflow."""
