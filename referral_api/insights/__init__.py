"""Analytics over recorded requests: pure functions over domain values."""
