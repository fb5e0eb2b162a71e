"""The kernel manager of edition runs: local IPC sockets instead of TCP.

ipykernel 7 warns "[IPKernelApp] WARNING | Kernel is running over TCP without encryption" on
every kernel it starts over TCP, and that line lands in the edition's console output and in
cron's mail. The notebooks of an edition run on this machine only, so the kernel talks to the
runner over Unix-domain sockets (ZeroMQ ``ipc://`` transport, in the Jupyter runtime folder):
nothing listens on a network port and there is nothing to warn about.
"""

from __future__ import annotations

import sys

from jupyter_client.manager import AsyncKernelManager


class IPCKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.manager.AsyncKernelManager` using the ``ipc`` transport
    (Unix-domain sockets) where the platform has it; TCP elsewhere (Windows)."""

    def __init__(self, **kwargs):
        if sys.platform != "win32":
            kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
