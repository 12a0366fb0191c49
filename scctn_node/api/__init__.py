"""The REST + JSON API, the WebSocket stream, /health and /metrics."""
