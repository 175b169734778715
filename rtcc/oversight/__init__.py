"""Search oversight: purpose codes, the auditor's monthly sample, unusual search volume."""
