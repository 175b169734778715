"""The password of every account the ``api_client`` fixture creates."""

from __future__ import annotations

TEST_PASSWORD = "correct horse battery staple"
