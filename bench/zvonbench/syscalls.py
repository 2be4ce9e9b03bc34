"""System calls and context switches of the target over a window, counted by the kernel's
tracepoints (perf stat -e syscalls:...). Counts, unlike times, do not drift with other work on
the machine; on this virtual machine perf has no hardware counters, but tracepoints work."""

import subprocess

EVENTS = [
    "raw_syscalls:sys_enter",
    "syscalls:sys_enter_sendmsg", "syscalls:sys_enter_sendmmsg", "syscalls:sys_enter_sendto",
    "syscalls:sys_enter_recvmsg", "syscalls:sys_enter_recvmmsg", "syscalls:sys_enter_recvfrom",
    "syscalls:sys_enter_epoll_wait", "syscalls:sys_enter_epoll_pwait",
    "syscalls:sys_enter_read", "syscalls:sys_enter_write",
    "syscalls:sys_enter_ioctl", "syscalls:sys_enter_getsockopt",
    "syscalls:sys_enter_mprotect", "syscalls:sys_enter_mmap", "syscalls:sys_enter_munmap",
    "context-switches", "page-faults",
]

_available = None


def available():
    global _available
    if _available is None:
        try:
            r = subprocess.run(["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "true"],
                               capture_output=True, timeout=20)
            _available = r.returncode == 0 and b"not supported" not in r.stderr
        except (OSError, subprocess.TimeoutExpired):
            _available = False
    return _available


class Counter:
    """perf stat on the processes for `seconds`; start() then result()."""

    def __init__(self, path, pids, seconds, core):
        self.path = path
        self.cmd = ["taskset", "-c", str(core), "perf", "stat", "-x", ",", "-o", path,
                    "-e", ",".join(EVENTS), "-p", ",".join(str(p) for p in pids),
                    "--", "sleep", "%.2f" % max(0.5, seconds)]
        self.proc = None

    def start(self):
        if available():
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def result(self):
        """{event short name: count}, or {} when perf could not count."""
        if self.proc is None:
            return {}
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return {}
        out = {}
        try:
            with open(self.path) as f:
                for line in f:
                    fields = line.strip().split(",")
                    if len(fields) < 3 or not fields[0].replace(".", "").isdigit():
                        continue
                    name = fields[2].replace("syscalls:sys_enter_", "").replace(
                        "raw_syscalls:sys_enter", "syscalls")
                    out[name] = int(float(fields[0]))
        except OSError:
            return {}
        return out


def per(counts, n):
    """The counts divided by n (per call, per packet), zero counts left out."""
    if not counts or not n:
        return {}
    return {k: v / float(n) for k, v in counts.items() if v}


def describe(per_unit):
    keys = ["syscalls", "sendmsg", "sendto", "recvmmsg", "recvmsg", "recvfrom", "epoll_wait",
            "epoll_pwait", "read", "write", "ioctl", "getsockopt", "mprotect", "mmap", "munmap",
            "context-switches", "page-faults"]
    return ", ".join("%s %.2f" % (k, per_unit[k]) for k in keys if k in per_unit)

