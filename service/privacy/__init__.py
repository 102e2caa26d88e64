"""Privacy: the vault (the only code that sees addresses), data rights, my-comments links."""
