"""Imported by the camera fork server (``cameras.launch``) before it forks any camera: the
worker's modules, then every object imported so far moved out of the garbage collector's reach
(``gc.freeze``), so the collector of a forked camera never writes to them and their pages stay
shared between all cameras of the host."""

import gc

import cameras.detector_host  # noqa: F401 - the detector processes' imports (and the worker's)
import cameras.worker  # noqa: F401

gc.freeze()
