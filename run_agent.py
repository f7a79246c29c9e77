"""Thin entry point: `python run_agent.py ...` is the same as the `reelwright` console script."""
import sys

from agent.cli import main

if __name__ == "__main__":
    sys.exit(main())
