"""Reading images: the engine (in worker processes), image checks, output parsing, confidence."""
