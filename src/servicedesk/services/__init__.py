"""Use cases: each takes a unit of work and keyword arguments,
applies the domain and records events."""
