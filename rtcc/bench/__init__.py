"""Benchmarks (``rtcc bench NAME``): each module has ``register(subparsers)`` and prints figures
next to the plain baseline measured in the same run."""
