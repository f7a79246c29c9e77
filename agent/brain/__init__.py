"""Brains: planners that turn a request (and the analysis) into an EditPlan."""
