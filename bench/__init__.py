"""Benchmarks that print numbers; run as modules: python -m bench.<name> (bench/copy.py would shadow the stdlib module if run as a script)."""
