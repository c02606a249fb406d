"""Docker-free local running of the SAM application (never deployed)."""
