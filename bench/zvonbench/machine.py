"""What the benchmark reads from the machine: the CPU, per-process CPU time and memory from
/proc, the kernel's UDP counters, and the cores each side is pinned to."""

import os
import platform
import re
import socket
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe():
    """One line about the machine, for the report."""
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return "%s, %d CPUs (nproc), %.1f GiB RAM, Linux %s" % (
        cpu_model(), os.cpu_count(), mem_kib / 1048576.0, platform.release())


class Cores:
    """The pinning: the system under test on one core, the load generators on another."""

    def __init__(self):
        n = os.cpu_count() or 1
        if n >= 2:
            self.target, self.load = 1, 0
        else:
            self.target = self.load = 0
        self.shared = n < 2

    def describe(self):
        if self.shared:
            return "one CPU only: zvon, Kamailio and sipp share CPU 0 (figures are pessimistic)"
        return ("zvon / Kamailio pinned to CPU %d; sipp (caller and callee) and tcpdump pinned "
                "to CPU %d (taskset)" % (self.target, self.load))


def set_autogroup_nice(pid, nice):
    """With the kernel's autogroups (/proc/sys/kernel/sched_autogroup_enabled), a process's
    nice value only ranks it within its session's group, and every session's group gets an
    equal share of a contended CPU: a target started in a session of its own at nice -10 still
    got only ~1/3 of its core while five other engineers' builds ran (measured: its threads
    spent 3.2 s of 5.8 s runnable but waiting). The group's own nice value fixes that. Best
    effort (root only; a kernel without autogroups has no such file)."""
    if nice is None:
        return False
    try:
        with open("/proc/%d/autogroup" % pid, "w") as f:
            f.write(str(nice))
        return True
    except OSError:
        return False


def taskset(core, argv):
    return ["taskset", "-c", str(core)] + list(argv)


def pinned(core, argv, nice=None):
    """argv pinned to `core`, at `nice` when given (see set_autogroup_nice for the rest)."""
    cmd = taskset(core, argv)
    return cmd if nice is None else ["nice", "-n", str(nice)] + cmd


def tail(path, chars):
    """The last `chars` characters of a text file ("" when it cannot be read)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()[-chars:]
    except OSError:
        return ""


def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    return text[text.rindex(")") + 2:].split()


def process_tree(root):
    """root and every descendant process (Kamailio forks its workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry))[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(pids):
    """User + system CPU time of the processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / float(CLK_TCK)


def rss_kib(pids):
    """Resident memory of the processes, KiB (shared pages counted once per process)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def _sum_over_threads(pids, name, read):
    """The sum of read(text of /proc/<pid>/task/<tid>/<name>) over every thread of the
    processes; threads that end meanwhile are skipped."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tasks:
            try:
                with open("/proc/%d/task/%s/%s" % (pid, tid, name)) as f:
                    total += read(f.read())
            except (OSError, IndexError, ValueError):
                continue
    return total


def context_switches(pids):
    """Voluntary + involuntary context switches of every thread of the processes: each is a
    wake-up, the cost of handing work between threads on one core."""
    return _sum_over_threads(pids, "status", lambda text: sum(
        int(line.split()[1]) for line in text.splitlines()
        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))))


def runqueue_wait_seconds(pids):
    """Time the processes' threads spent runnable but waiting for a CPU (/proc/.../schedstat,
    second field, ns), in seconds: on a shared machine, the CPU a pinned process wanted and
    did not get."""
    return _sum_over_threads(pids, "schedstat", lambda text: int(text.split()[1])) / 1e9


def udp_counters():
    """The kernel's UDP counters (/proc/net/snmp): InDatagrams, RcvbufErrors, ..."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}


def udp_socket_drops(pids):
    """{socket inode: datagrams the kernel dropped because the socket's receive buffer was
    full} for the UDP sockets the processes hold (/proc/net/udp "drops"): loss charged to one
    process, unlike the machine-wide counters other work on the machine also moves."""
    inodes = set()
    for pid in pids:
        fd_dir = "/proc/%d/fd" % pid
        try:
            names = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in names:
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    out = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if len(fields) > 12 and fields[9] in inodes:
                        out[fields[9]] = int(fields[-1])
        except OSError:
            continue
    return out


def drops_between(before, after):
    """Datagrams dropped between two udp_socket_drops() snapshots."""
    return sum(d - before.get(inode, 0) for inode, d in after.items())


class CpuWindow:
    """CPU time used by a set of processes between start() and stop(), with the wall time."""

    def __init__(self, pids_fn):
        self.pids_fn = pids_fn
        self.cpu0 = self.t0 = None
        self.cpu = self.wall = 0.0

    def start(self):
        self.t0 = time.monotonic()
        self.cpu0 = cpu_seconds(self.pids_fn())
        return self

    def stop(self):
        self.cpu = cpu_seconds(self.pids_fn()) - self.cpu0
        self.wall = time.monotonic() - self.t0
        return self

    @property
    def load(self):
        """Cores kept busy on average (1.0 = one core saturated)."""
        return self.cpu / self.wall if self.wall > 0 else 0.0


def free_port(kind="both", avoid=()):
    """A port free for UDP (and TCP when kind="both") on 127.0.0.1 right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            if port in avoid:
                continue
            if kind == "udp":
                return port
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port on 127.0.0.1")


def free_port_block(size, avoid=()):
    """The first of `size` consecutive UDP ports, all free on 127.0.0.1 and none in `avoid`
    (sipp binds its -mp port and the one two above it)."""
    for _ in range(200):
        first = free_port("udp", avoid=avoid)
        ports = range(first, first + size)
        if any(p in avoid or p > 65535 for p in ports):
            continue
        ok = True
        for p in ports:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", p))
            except OSError:
                ok = False
                break
        if ok:
            return first
    raise RuntimeError("no block of %d free ports on 127.0.0.1" % size)


def wait_sip_answer(port, timeout=15.0):
    """Sends OPTIONS to 127.0.0.1:port until any SIP response arrives (bounded)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
        n = 0
        while time.monotonic() < deadline:
            n += 1
            msg = ("OPTIONS sip:ping@127.0.0.1:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKbenchping%d;rport\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:bench@127.0.0.1>;tag=benchping\r\n"
                   "To: <sip:ping@127.0.0.1>\r\nCall-ID: benchping%d@127.0.0.1\r\n"
                   "CSeq: %d OPTIONS\r\nContent-Length: 0\r\n\r\n" % (port, local, n, n, n))
            s.sendto(msg.encode(), ("127.0.0.1", port))
            s.settimeout(0.3)
            try:
                data, _ = s.recvfrom(65535)
                if re.match(rb"SIP/2\.0 \d{3}", data):
                    return True
            except (socket.timeout, ConnectionRefusedError):
                pass
            time.sleep(0.1)
    return False
