"""Code the tests and the benchmarks share; nothing here is part of the application."""
