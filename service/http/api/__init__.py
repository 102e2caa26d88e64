"""HTTP API blueprints: they translate HTTP to use-case calls and back, nothing more."""
