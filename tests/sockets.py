"""A server's side of the test's loopback connections, seen from outside the server: which
of its processes accepted a connection, whether it has read what the client sent, and the
socket options it set, read from the server's own socket (Linux: ``/proc`` and
``pidfd_getfd``, which a parent may use on its descendants)."""

from __future__ import annotations

import ctypes
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PIDFD_GETFD = 438
"""The system call's number, the same on every Linux architecture (5.6 and later)."""


@dataclass(frozen=True)
class ServerSide:
    """The server's socket of one connection."""

    pid: int
    fd: int
    unread: int
    """Bytes the client sent that the server has not read yet."""

    def option(self, level: int, name: int) -> int:
        """``getsockopt`` on the server's socket, through a duplicate of its descriptor."""
        pidfd = os.pidfd_open(self.pid)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            duplicate = libc.syscall(PIDFD_GETFD, pidfd, self.fd, 0)
            if duplicate < 0:
                error = ctypes.get_errno()
                raise OSError(error, f"pidfd_getfd: {os.strerror(error)}")
        finally:
            os.close(pidfd)
        with socket.socket(fileno=duplicate) as sock:
            return sock.getsockopt(level, name)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = [pid]
    for process in found:
        found.extend(child for child, parent in parents.items() if parent == process)
    return found


def _connections() -> Iterator[tuple[int, int, str, int, int]]:
    """Each IPv4 TCP socket: local port, remote port, inode, bytes sent and not yet
    acknowledged by the peer, bytes received and not yet read."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
        unacknowledged, unread = (int(size, 16) for size in fields[4].split(":"))
        yield local, remote, fields[9], unacknowledged, unread


def delivered(server_port: int, client: socket.socket) -> bool:
    """Whether everything ``client`` sent has reached the server's machine (acknowledged)."""
    client_port = client.getsockname()[1]
    return any(
        (local, remote, waiting) == (client_port, server_port, 0)
        for local, remote, _, waiting, _ in _connections()
    )


def server_side(server_pid: int, server_port: int, client: socket.socket) -> ServerSide | None:
    """The socket of ``client``'s connection in ``server_pid`` or a process below it;
    ``None`` while no process has accepted it."""
    client_port = client.getsockname()[1]
    inode, unread = None, 0
    for local, remote, node, _, waiting in _connections():
        if (local, remote) == (server_port, client_port):
            inode, unread = node, waiting
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in descendants(server_pid):
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if str(descriptor.readlink()) == wanted:
                    return ServerSide(pid, int(descriptor.name), unread)
            except OSError:
                continue
    return None
