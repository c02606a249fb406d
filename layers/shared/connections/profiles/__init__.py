"""One profile per platform (what the domain needs to know about it) and the registry that holds them."""
