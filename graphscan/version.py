"""The software version, recorded in every evidence memo and page. A module of its own,
importing nothing, so that any layer may name it without importing the public API."""

__version__ = "0.1.0"
