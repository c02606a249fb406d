"""``connections``: a command-line client of the Connections API over HTTP (no import of the layer)."""
