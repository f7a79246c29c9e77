"""Reelwright: an autonomous video editor. Nothing happens at import time."""

__version__ = "0.1.0"
