"""Runs sipp for the benchmark: pinned to the load core, bounded in time and call count, each
run in its own directory; reads back its statistics, response times and screen."""

import glob
import os
import re
import signal
import subprocess
import time

from . import machine

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO_DIR = os.path.join(BENCH_DIR, "scenarios")


def scenario(name):
    return os.path.join(SCENARIO_DIR, name)


class SippResult:
    def __init__(self, name, returncode, work_dir, timed_out):
        self.name = name
        self.returncode = returncode
        self.work_dir = work_dir
        self.timed_out = timed_out
        self.stats = self._final_stats()
        self.rtt_rows = self._rtt_rows()
        self.rtt = {}
        for _, ms, name in self.rtt_rows:
            self.rtt.setdefault(name, []).append(ms)
        self.screen = self._read_glob("*_screen.log")
        self.errors = self._read_glob("*_errors.log")

    def _read_glob(self, pattern):
        files = glob.glob(os.path.join(self.work_dir, pattern))
        if not files:
            return ""
        with open(files[0], errors="replace") as f:
            return f.read()

    def _final_stats(self):
        files = glob.glob(os.path.join(self.work_dir, "*_.csv"))
        if not files:
            return {}
        with open(files[0], errors="replace") as f:
            rows = [r.rstrip("\n") for r in f if r.strip()]
        if len(rows) < 2:
            return {}
        return dict(zip(rows[0].split(";"), rows[-1].split(";")))

    def _rtt_rows(self):
        """(when, ms since sipp started; duration, ms; name) of every response time duration,
        from -trace_rtt. sipp's clock here ticks in milliseconds or coarser (4 ms seen): good
        for the 20 ms limit, not for single milliseconds (see capture.py)."""
        rows = []
        for path in glob.glob(os.path.join(self.work_dir, "*_rtt.csv")):
            with open(path, errors="replace") as f:
                for line in f:
                    parts = line.strip().split(";")
                    try:
                        rows.append((float(parts[0]), float(parts[1]), parts[2]))
                    except (ValueError, IndexError):
                        continue  # the header
        return rows

    def pace(self, name):
        """Calls started per second over the run, from the start times of response time
        `name` (when it ended minus how long it took); None with fewer than two."""
        starts = sorted(when - ms for when, ms, n in self.rtt_rows if n == name)
        if len(starts) < 2 or starts[-1] <= starts[0]:
            return None
        return (len(starts) - 1) / ((starts[-1] - starts[0]) / 1000.0)

    def stat(self, key):
        try:
            return int(float(self.stats.get(key, "0") or 0))
        except ValueError:
            return 0

    @property
    def created(self):
        return self.stat("TotalCallCreated") or self.stat("OutgoingCall(C)")

    @property
    def incoming(self):
        return self.stat("IncomingCall(C)")

    @property
    def succeeded(self):
        return self.stat("SuccessfulCall(C)")

    @property
    def failed(self):
        return self.stat("FailedCall(C)")

    @property
    def retransmissions(self):
        return self.stat("Retransmissions(C)")

    def screen_count(self, pattern):
        """A number from the final screen, e.g. r"(\\d+) Total RTP pckts sent"."""
        m = re.findall(pattern, self.screen)
        return int(m[-1]) if m else None

    def stdout_problem(self):
        """The lines of sipp's output that say what went wrong, if any."""
        try:
            with open(os.path.join(self.work_dir, "stdout"), errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return "(no output)"
        bad = [l for l in lines if re.search(r"rror|nable|annot|failed|denied", l)]
        return " | ".join(bad[:3]) or "(see %s/stdout)" % self.work_dir

    def first_errors(self, chars=1500):
        return self.errors[:chars]


class Sipp:
    """One sipp process: start() it, then wait() (bounded) or kill()."""

    def __init__(self, name, scenario_file, work_root, core, local_port, target=None, args=(),
                 calls=None, timeout=60, nice=None):
        self.name = name
        self.work_dir = os.path.join(work_root, name)
        os.makedirs(self.work_dir, exist_ok=True)
        cmd = ["sipp", "-sf", scenario_file, "-i", "127.0.0.1", "-p", str(local_port),
               "-t", "u1", "-nostdin", "-trace_err", "-trace_stat", "-fd", "1",
               "-trace_screen", "-timeout", "%ds" % max(1, int(timeout)), "-timeout_error",
               "-max_recv_loops", "10000", "-max_sched_loops", "10000",
               # sipp's default 64 KiB socket buffers drop bursts at a few thousand calls/s:
               # the generator must not be what loses messages.
               "-buff_size", str(4 * 1024 * 1024)]
        if calls is not None:
            cmd += ["-m", str(int(calls))]
        cmd += list(args)
        if target:
            cmd.append(target)
        self.cmd = machine.pinned(core, cmd, nice)
        self.nice = nice
        self.timeout = timeout
        self.proc = None
        self.deadline = None

    def start(self):
        with open(os.path.join(self.work_dir, "command"), "w") as f:
            f.write(" ".join(self.cmd) + "\n")
        self.out = open(os.path.join(self.work_dir, "stdout"), "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=self.work_dir, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        machine.set_autogroup_nice(self.proc.pid, self.nice)
        # sipp's own -timeout ends it; this is the backstop if sipp itself hangs.
        self.deadline = time.monotonic() + self.timeout + 15
        return self

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self):
        timed_out = False
        try:
            self.proc.wait(timeout=max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            self.kill()
        self.out.close()
        return SippResult(self.name, self.proc.returncode, self.work_dir, timed_out)

    def stop(self):
        """Asks sipp to end now (SIGUSR1: stop and write its final statistics), bounded."""
        if self.running():
            try:
                os.kill(self.proc.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
            self.deadline = min(self.deadline, time.monotonic() + 10)
        return self.wait()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)


def users_file(path, first, count):
    """An injection file of `count` distinct users from `first` on: user;[authentication ...].
    Every password is "pw" + the user, the rule of the bench sip.conf and kamailio.cfg."""
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for u in range(first, first + count):
            f.write("%d;[authentication username=%d password=pw%d]\n" % (u, u, u))
    return path
