"""Services hold the rules. They flush, never commit: the caller's scope does."""
