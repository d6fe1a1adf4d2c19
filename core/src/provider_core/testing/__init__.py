"""The contract compliance suite, shipped as a pytest plugin (see plugin.py)."""
