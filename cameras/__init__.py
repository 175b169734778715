"""Camera workers: sources, per-camera worker processes, and their supervisor.

Workers never import FastAPI or ``web``; they hand plain data to the core process.
"""
