"""Plate recognition: model bundles, the recognizer around fast-alpr, tracking and consensus."""
