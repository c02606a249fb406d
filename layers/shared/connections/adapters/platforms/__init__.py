"""Platform adapters behind ports/platforms.py: one module per platform, a paged REST source shared by
every inbound connection, auth strategies and a per-container token cache."""
