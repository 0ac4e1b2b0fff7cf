"""The one schema: .proto sources and their generated modules (committed)."""
