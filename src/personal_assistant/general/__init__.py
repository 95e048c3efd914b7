"""General-purpose tasks: allow-listed commands and entry-point plugins."""
