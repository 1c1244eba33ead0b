"""A sandbox that stands in for a NICE CXone tenant's Record on Demand API in tests.

``SandboxServer`` serves the CXone-like API (OAuth, discovery, the three recording
operations) and a test-only control API under ``/_sandbox/``; ``SandboxClient`` drives
the control API. See tests/sandbox/README.md.
"""

from .client import SandboxClient, SandboxError
from .server import SandboxServer

__all__ = ['SandboxClient', 'SandboxError', 'SandboxServer']
