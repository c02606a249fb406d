"""Interfaces the domain services need; adapters implement them (one module per port)."""
