# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A sandbox that stands in for a NICE CXone tenant's Record on Demand API in tests.

``SandboxServer`` serves the CXone-like API (OAuth, discovery, the Record on Demand and
Masking operations, the agents' recording status, User Hub's users and teams) and a test-only control API under ``/_sandbox/``; ``SandboxClient`` drives
the control API; ``SandboxProcess`` runs the command line in a process of its own. See
tests/sandbox/README.md.
"""

from __future__ import annotations

from .client import SandboxClient, SandboxError
from .process import SandboxProcess
from .server import SandboxServer

__all__ = ["SandboxClient", "SandboxError", "SandboxProcess", "SandboxServer"]
