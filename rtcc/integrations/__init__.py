"""Integrations with other systems: gunshot alerts in, mobile camera positions in, events out."""
