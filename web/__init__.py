"""The browser console: static assets and the websocket hub that feeds it."""
