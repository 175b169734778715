"""The HTTP and websocket API (top layer)."""
