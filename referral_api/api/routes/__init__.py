"""The v1 routes, one module per resource; each route parses, calls one function, returns."""
