"""Helpers shared by tests of several packages, imported by the tests themselves (never from a
conftest; conftests hold only fixtures): ``paths`` (the checkout, ``../shared``, PostgreSQL),
``accounts``, ``serving`` (the app on a loopback port), ``console_server`` / ``video_server``
(``rtcc serve`` in a subprocess), ``browser`` (Chromium, ``login``), ``rtsp`` (a real RTSP
server), ``clips`` / ``scripted`` / ``workers`` (a clip the tests write, a scripted recognizer,
real camera workers), ``natsserver``, ``hotlists``, ``evidence``, ``integrations``, ``reads``,
``visibility_world``, ``ingest_proc``."""
