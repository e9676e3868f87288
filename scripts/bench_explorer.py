#!/usr/bin/env python3
"""Open an image in the archlens explorer inside a pseudo-terminal, expand the whole file tree, and report how long
that took and the explorer's peak resident memory (VmHWM from /proc, read while it runs).

Usage: python3 scripts/bench_explorer.py ARCHLENS_BIN REFERENCE WAIT_FOR
  WAIT_FOR  text that appears on screen once the tree is expanded (a file name deep in the image)
Prints one line: "<seconds> <peak_kib>". Linux only (reads /proc/PID/status).
"""

from __future__ import annotations

import os
import pty
import select
import struct
import sys
import time


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, reference, wait_for = argv[1], argv[2], argv[3].encode()
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(binary, [binary, "--no-cache", "open", reference])
    import fcntl
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    sent_expand = False
    last_key = 0.0
    peak = 0
    deadline = t0 + 600
    took = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        try:
            peak = max(peak, peak_kib(pid))
        except OSError:
            break
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen = (seen + chunk)[-200_000:]
        # Expand all once the image screen is drawn, again each second until the tree (built
        # after the layers are read) shows the expanded rows: the key is a no-op before.
        now = time.monotonic()
        if b"Layers" in seen or sent_expand:
            if wait_for in seen:
                took = now - t0
                time.sleep(1.0)
                peak = max(peak, peak_kib(pid))
                break
            if now - last_key >= 1.0:
                os.write(fd, b"E")
                sent_expand, last_key = True, now
    os.write(fd, b"q")
    time.sleep(0.3)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    if took is None:
        print("bench_explorer.py: the expanded tree never showed " + wait_for.decode(), file=sys.stderr)
        return 1
    print(f"{took:.2f} {peak}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
