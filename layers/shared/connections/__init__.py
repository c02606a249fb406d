"""Connections API domain package, shipped to every function as the shared Lambda layer."""
