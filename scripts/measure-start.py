#!/usr/bin/env python3
"""Start -> READY time and idle RSS of `smsgate serve` (docs/benchmarks.md).

Starts the binary N times with NOTIFY_SOCKET pointing at a datagram socket
this script listens on, as systemd does for Type=notify, and measures from
just before the fork to the arrival of READY=1 (smsgate sends it once its
HTTP API listens; src/app.rs). After the last READY it waits --idle seconds
and reads VmRSS from /proc/PID/status, then stops the service with SIGTERM.
Each run gets a fresh database in a temporary directory, so the figure
includes creating and migrating it.

  scripts/measure-start.py target/release/smsgate
  scripts/measure-start.py --simulate 1 target/release/smsgate
  scripts/measure-start.py --runner 'qemu-aarch64 -L /usr/aarch64-linux-gnu' \\
      target/aarch64-unknown-linux-gnu/release/smsgate

Under --runner the RSS is the emulator's (qemu-user plus the guest), not
what the binary uses on a board.
"""

import argparse
import os
import shlex
import signal
import socket
import statistics
import subprocess
import tempfile
import time


def one_run(args, keep_running):
    with tempfile.TemporaryDirectory(prefix="smsgate-measure-") as d:
        sock_path = os.path.join(d, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(args.patience)
        cfg = os.path.join(d, "smsgate.toml")
        with open(cfg, "w") as f:
            f.write('[http]\nlisten = "127.0.0.1:0"\n')
            f.write('[storage]\npath = "%s"\n' % os.path.join(d, "smsgate.db"))
        cmd = shlex.split(args.runner) + [args.binary, "serve", "--config", cfg]
        if args.simulate:
            cmd += ["--simulate", str(args.simulate)]
        env = dict(os.environ, NOTIFY_SOCKET=sock_path, RUST_LOG="off")
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, cwd=d)
        try:
            while True:
                msg = sock.recv(256).decode(errors="replace")
                if "READY=1" in msg.split("\n"):
                    break
            ready = time.perf_counter() - t0
            rss_kib = None
            if keep_running:
                time.sleep(args.idle)
                with open("/proc/%d/status" % child.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss_kib = int(line.split()[1])
            return ready, rss_kib
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=args.patience)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            sock.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("binary")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--simulate", type=int, default=0,
                   help="built-in simulated modems (serve --simulate N)")
    p.add_argument("--idle", type=float, default=5.0,
                   help="seconds after READY before reading VmRSS")
    p.add_argument("--runner", default="",
                   help="command prefix, e.g. 'qemu-aarch64 -L /usr/aarch64-linux-gnu'")
    p.add_argument("--patience", type=float, default=60.0,
                   help="seconds to wait for READY before giving up")
    args = p.parse_args()
    times = []
    rss = None
    for i in range(args.runs):
        ready, r = one_run(args, keep_running=(i == args.runs - 1))
        times.append(ready * 1000)
        rss = r if r is not None else rss
    times.sort()
    print("start -> READY over %d runs: median %.1f ms, min %.1f ms, max %.1f ms"
          % (len(times), statistics.median(times), times[0], times[-1]))
    print("idle VmRSS %.1f s after READY: %.1f MiB (%d KiB)"
          % (args.idle, rss / 1024, rss))


if __name__ == "__main__":
    main()
