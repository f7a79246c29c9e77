"""Run untrusted code (tools the agent writes, shaders people import) with hard limits.

A leaf package: it runs the command it is given and imports nothing of the agent. A violated
limit comes back as a `Result` with a reason, never as an exception in the caller.
"""

from sandbox.base import Executor, Limits, Result, SandboxUnavailable
from sandbox.bwrap import BwrapExecutor
from sandbox.docker import DockerExecutor

__all__ = ["BwrapExecutor", "DockerExecutor", "Executor", "Limits", "Result", "SandboxUnavailable"]
