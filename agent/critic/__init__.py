"""The critic: a scorecard of a rendered reel, measured on the file itself."""

from agent.critic.critique import critique
from agent.critic.scorecard import Score, Scorecard

__all__ = ["Score", "Scorecard", "critique"]
