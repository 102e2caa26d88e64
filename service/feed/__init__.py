"""The public feed: an article's thread, its caches, repeat reads, Atom."""
