"""DRESS case registry: published drug-induced DRESS cases, every fact traced to its source."""

__version__ = "0.1.0"
