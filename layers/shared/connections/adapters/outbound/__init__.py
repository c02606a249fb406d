"""Outbound HTTP for platform adapters: address policy, pinned transport and the safe client."""
