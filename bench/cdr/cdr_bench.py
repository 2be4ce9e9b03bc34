#!/usr/bin/env python3
"""The CDR benchmark: how fast call records reach PostgreSQL, and whether a slow database is
felt by the loops. Started by bench/cdr/run.sh, which builds the Release binary first.

1. Replay: N calls while PostgreSQL is stopped go to zvon's journal; the journal is then
   replayed into an empty database once per batch size ([cdr] batch of pgsql.conf), and the
   same rows are inserted by a bare libpq client (pgload.c) with the writer's own statement in
   batches of the same size (the database's ceiling, measured right after, on the same
   machine). Both are timed the
   same way, by the database's clock: from the first statement's start (cdr.written_at, the
   transaction's now()) to the last commit (pg_xact_commit_timestamp(xmin), with
   track_commit_timestamp on in the private cluster).
2. Live: calls at a steady rate with the database up; per record, the delay from the call's
   end to its commit.
3. Stall: calls at a steady rate with and without a statement-level trigger on cdr that
   sleeps (pg_sleep) in every insert: the loops' maximum lag (`cdr show status`), the p99 of
   INVITE -> 200, and every record present exactly once.

Loopback and a unix socket only. Every step is bounded in calls and time; PostgreSQL, zvon and
sipp are stopped on every exit path (and --max-seconds bounds the whole run).

    cdr_bench.py --build-dir build-cdrbench [--quick] [--only replay,live,stall] [--profile]
"""

import argparse
import datetime
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from zvonbench import machine  # noqa: E402  (read-only use: ports, pinning, /proc readers)
from private_postgres import PostgresError, PrivatePostgres  # noqa: E402

WRITER_SOURCE = os.path.join(ROOT, "modules", "cdr", "cdr_writer.cpp")
SCENARIOS = os.path.join(ROOT, "bench", "scenarios")
CALLER, CALLEE = 9000, 8000


class BenchError(Exception):
    pass


class OutOfTime(BaseException):
    """--max-seconds passed: unwinds through every `finally` so the cleanup still runs."""


# ----------------------------------------------------------------------------------------
# Log and helpers

LOG = None
T0 = time.monotonic()


def log(text):
    stamp = "[%5.0fs] " % (time.monotonic() - T0)
    for line in str(text).splitlines() or [""]:
        sys.stdout.write(stamp + line + "\n")
        if LOG:
            LOG.write(stamp + line + "\n")
    sys.stdout.flush()
    if LOG:
        LOG.flush()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def percentile(values, p):
    """Nearest rank; None when empty."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def fmt(v, digits=1):
    return "-" if v is None else ("%." + str(digits) + "f") % v


def write_statement():
    """The writer's batch statement, read from cdr_writer.cpp so the reference runs exactly
    what zvon sends."""
    with open(WRITER_SOURCE) as f:
        text = f.read()
    m = re.search(r"kWriteSql\s*=\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*;", text)
    if not m:
        raise BenchError("cannot find kWriteSql in " + WRITER_SOURCE)
    return "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1)))


# ----------------------------------------------------------------------------------------
# PostgreSQL


class Postgres(PrivatePostgres):
    """The project's private cluster under VAR/pg, with what the bench measures of it."""

    def __init__(self, var_dir):
        super().__init__(var_dir, psql_timeout=120)

    def restart(self):
        self.stop()
        self.start()

    def pids(self):
        """The postmaster and its children (the backends do the inserts)."""
        try:
            with open(os.path.join(self.var_dir, "pg", "data", "postmaster.pid")) as f:
                root = int(f.readline())
        except (OSError, ValueError):
            return []
        return machine.process_tree(root)

    def cpu_seconds(self):
        """CPU time of the live server processes plus what the postmaster has reaped: a
        backend that ended (psql's) still counts."""
        pids = self.pids()
        reaped = 0.0
        if pids:
            try:
                with open("/proc/%d/stat" % pids[0]) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                reaped = (int(fields[13]) + int(fields[14])) / float(machine.CLK_TCK)  # cutime, cstime
            except (OSError, ValueError, IndexError):
                pass
        return machine.cpu_seconds(pids) + reaped

    def setting(self, name):
        return self.scalar("SHOW %s" % name)

    def empty_tables(self):
        self.psql("TRUNCATE cdr, events")

    def timing(self):
        """What one load of the tables took, by the database's clock: rows, statements that
        inserted them, first statement's start, last commit."""
        row = self.psql(
            "WITH x AS (SELECT xmin::text AS x, pg_xact_commit_timestamp(xmin) AS c FROM cdr"
            " UNION ALL SELECT xmin::text, pg_xact_commit_timestamp(xmin) FROM events)"
            " SELECT (SELECT count(*) FROM cdr), (SELECT count(DISTINCT id) FROM cdr),"
            " (SELECT count(*) FROM events), (SELECT count(DISTINCT x) FROM x),"
            " extract(epoch FROM (SELECT min(written_at) FROM cdr)),"
            " extract(epoch FROM (SELECT max(c) FROM x))")[0]
        cdrs, distinct, events, statements = (int(v) for v in row[:4])
        first = float(row[4]) if row[4] else None
        last = float(row[5]) if row[5] else None
        return {"cdrs": cdrs, "distinct": distinct, "events": events, "statements": statements,
                "first": first, "last": last,
                "seconds": (last - first) if first is not None and last is not None else None}


# ----------------------------------------------------------------------------------------
# zvon


class Zvon:
    def __init__(self, build_dir, work, var_dir, cores):
        self.build_dir = build_dir
        self.dir = os.path.join(work, "zvon")
        self.var_dir = var_dir
        self.cores = cores
        self.sip_port = machine.free_port("both")
        self.proc = None
        self.log_path = os.path.join(self.dir, "zvon.log")
        self.log_file = None

    @property
    def binary(self):
        return os.path.join(self.build_dir, "bin", "zvon")

    @property
    def etc(self):
        return os.path.join(self.dir, "etc")

    @property
    def journal(self):
        return os.path.join(self.var_dir, "cdr", "journal.jsonl")

    def write_config(self, batch):
        for sub in ("etc", "dialplan", "run"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        # A few hundred calls are up at once, four ports each.
        rtp_start = machine.free_port_block(1000)
        files = {
            "etc/zvon.conf": "\n".join([
                "; written by bench/cdr/cdr_bench.py",
                "[general]", "workers = 1", "log_level = warning",
                "dialplan_dir = %s" % os.path.join(self.dir, "dialplan"),
                "run_dir = %s" % os.path.join(self.dir, "run"),
                # The private cluster's conninfo is found in <data_dir>/pg/conninfo.
                "data_dir = %s" % self.var_dir,
                "modules_dir = %s" % os.path.join(self.build_dir, "modules"),
                "sounds_dir = %s" % os.path.join(self.build_dir, "sounds"), ""]),
            "etc/modules.conf": "[modules]\nautoload = yes\n",
            "etc/rtp.conf": "[general]\nrtpstart = %d\nrtpend = %d\n" % (rtp_start, rtp_start + 999),
            "etc/pgsql.conf": "\n".join([
                "; written by bench/cdr/cdr_bench.py", "[general]", "conninfo =", "pool_size = 2",
                "reconnect_max_ms = 500", "", "[cdr]", "enabled = yes", "tenant = default",
                "batch = %d" % batch, ""]),
            "etc/sip.conf": "\n".join([
                "; written by bench/cdr/cdr_bench.py", "[general]", "bind = 127.0.0.1",
                "port = %d" % self.sip_port, "transports = udp", "realm = zvon-cdr-bench",
                "minexpiry = 60", "maxexpiry = 3600", "defaultexpiry = 3600", "",
                "[bench](!)", "type = endpoint", "context = bench", "allow = ulaw", "",
                "[%d](bench)" % CALLER, "secret = pw%d" % CALLER,
                "[%d](bench)" % CALLEE, "secret = pw%d" % CALLEE, ""]),
            "dialplan/extensions.conf": "\n".join([
                "; every number rings the sipp callee: two legs, one CDR, about a dozen events",
                "[bench]", "exten => _X.,1,Dial(SIP/%d,30)" % CALLEE, " same => n,Hangup()", ""]),
        }
        for rel, text in files.items():
            with open(os.path.join(self.dir, rel), "w") as f:
                f.write(text)

    def start(self, batch):
        self.write_config(batch)
        cmd = machine.taskset(self.cores.target, [self.binary, "-f", "-C", self.etc])
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.time()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("zvon exited at start (status %s):\n%s" % (self.proc.returncode, self.log_tail()))
            if self.console("core show version")[0] == 0:
                return self
            time.sleep(0.1)
        raise BenchError("zvon's console did not answer within 30 s:\n" + self.log_tail())

    def console(self, command, timeout=10):
        try:
            r = subprocess.run([self.binary, "-C", self.etc, "-rx", command], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return -1, ""
        return r.returncode, r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")

    def status(self):
        rc, out = self.console("cdr show status")
        if rc != 0:
            raise BenchError("cdr show status failed: " + out)
        s = {"text": out}
        m = re.search(r"Mode: (.*)", out)
        s["mode"] = m.group(1).strip() if m else ""
        m = re.search(r"CDRs: (\d+) finished, (\d+) written, (\d+) journaled, (\d+) replayed; events: (\d+)", out)
        if m:
            s.update(zip(("finished", "written", "journaled", "replayed", "events"), map(int, m.groups())))
        m = re.search(r"Pending: (\d+)", out)
        s["pending"] = int(m.group(1)) if m else None
        s["lag"] = {k: float(v) for k, v in re.findall(r"(\S+)=(\d+(?:\.\d+)?)ms", out)}
        s["backlog"] = "(holds records)" in out
        return s

    def wait_mode(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status()["mode"].startswith(prefix):
                return True
            time.sleep(0.2)
        raise BenchError("zvon's CDR writer is not in mode '%s' after %d s:\n%s"
                         % (prefix, timeout, self.status()["text"]))

    def pid(self):
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def cpu_seconds(self):
        return machine.cpu_seconds([self.pid()]) if self.pid() else 0.0

    def log_tail(self, chars=3000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("zvon did not stop within 20 s of SIGTERM: killed")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.proc = None
        if self.log_file:
            self.log_file.close()
            self.log_file = None


# ----------------------------------------------------------------------------------------
# sipp

RUNNING_SIPPS = []


class Sipp:
    def __init__(self, name, scenario, work, core, port, target=None, calls=None, timeout=60, args=()):
        self.dir = os.path.join(work, "sipp", name)
        os.makedirs(self.dir, exist_ok=True)
        cmd = ["sipp", "-sf", scenario, "-i", "127.0.0.1", "-p", str(port), "-t", "u1", "-nostdin",
               "-trace_err", "-trace_stat", "-fd", "1", "-timeout", "%ds" % max(1, int(timeout)),
               "-timeout_error", "-buff_size", str(4 * 1024 * 1024)]
        if calls is not None:
            cmd += ["-m", str(int(calls))]
        cmd += list(args)
        if target:
            cmd.append(target)
        self.cmd = machine.taskset(core, cmd)
        self.timeout = timeout
        self.proc = None

    def start(self):
        with open(os.path.join(self.dir, "command"), "w") as f:
            f.write(" ".join(self.cmd) + "\n")
        self.out = open(os.path.join(self.dir, "stdout"), "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.deadline = time.monotonic() + self.timeout + 15  # sipp's -timeout ends it first
        RUNNING_SIPPS.append(self)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self):
        try:
            self.proc.wait(timeout=max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
        self.out.close()
        if self in RUNNING_SIPPS:
            RUNNING_SIPPS.remove(self)
        return self.result()

    def stop(self):
        if self.running():
            try:
                os.kill(self.proc.pid, signal.SIGUSR1)  # stop, write the final statistics
            except ProcessLookupError:
                pass
            self.deadline = min(self.deadline, time.monotonic() + 10)
        return self.wait()

    def kill(self):
        if self.running():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)

    def result(self):
        stats = {}
        for path in glob.glob(os.path.join(self.dir, "*_.csv")):
            with open(path, errors="replace") as f:
                rows = [r.rstrip("\n") for r in f if r.strip()]
            if len(rows) >= 2:
                stats = dict(zip(rows[0].split(";"), rows[-1].split(";")))

        def stat(key):
            try:
                return int(float(stats.get(key, "0") or 0))
            except ValueError:
                return 0
        rtt = {}
        for path in glob.glob(os.path.join(self.dir, "*_rtt.csv")):
            with open(path, errors="replace") as f:
                for line in f:
                    parts = line.strip().split(";")
                    try:
                        rtt.setdefault(parts[2], []).append(float(parts[1]))
                    except (ValueError, IndexError):
                        continue
        return {"created": stat("TotalCallCreated") or stat("OutgoingCall(C)"),
                "succeeded": stat("SuccessfulCall(C)"), "failed": stat("FailedCall(C)"),
                "retransmissions": stat("Retransmissions(C)"), "rtt": rtt, "dir": self.dir}


class Calls:
    """N calls caller -> zvon -> callee at a steady rate, short hold, no media."""

    def __init__(self, ctx, zvon):
        self.ctx = ctx
        self.zvon = zvon
        self.count = 0

    def run(self, name, calls, rate, hold_ms=50, during=None):
        ctx, z = self.ctx, self.zvon
        self.count += 1
        name = "%02d-%s" % (self.count, name)
        used = ctx["used_ports"]
        uac_port = machine.free_port("udp", avoid=used)
        used.add(uac_port)
        uas_port = machine.free_port("udp", avoid=used)
        used.add(uas_port)
        uas_media = machine.free_port_block(4, avoid=used)
        used.update(range(uas_media, uas_media + 4))
        uac_media = machine.free_port_block(4, avoid=used)
        used.update(range(uac_media, uac_media + 4))
        # The dialplan dials SIP/8000: the callee registers as 8000 from the port it answers on.
        users = os.path.join(ctx["work"], "callee.csv")
        with open(users, "w") as f:
            f.write("SEQUENTIAL\n%d;[authentication username=%d password=pw%d]\n" % (CALLEE, CALLEE, CALLEE))
        reg = Sipp(name + "-register", os.path.join(SCENARIOS, "register.xml"), ctx["work"],
                   ctx["cores"].load, uas_port, target="127.0.0.1:%d" % z.sip_port, calls=1, timeout=15,
                   args=["-inf", users]).start().wait()
        if reg["succeeded"] != 1:
            raise BenchError("the sipp callee could not register as %d (see %s)" % (CALLEE, reg["dir"]))
        seconds = calls / float(rate)
        budget = seconds + hold_ms / 1000.0 + 30
        uas = Sipp(name + "-uas", os.path.join(SCENARIOS, "uas.xml"), ctx["work"], ctx["cores"].load,
                   uas_port, calls=calls, timeout=budget + 10, args=["-mp", str(uas_media)]).start()
        time.sleep(0.3)
        uac = Sipp(name + "-uac", os.path.join(SCENARIOS, "uac_call.xml"), ctx["work"], ctx["cores"].load,
                   uac_port, target="127.0.0.1:%d" % z.sip_port, calls=calls, timeout=budget,
                   args=["-s", str(CALLEE), "-key", "caller", str(CALLER), "-au", str(CALLER),
                         "-ap", "pw%d" % CALLER, "-r", str(rate), "-d", str(hold_ms),
                         "-l", str(int(rate * 3) + 50), "-recv_timeout", "5000",
                         "-mp", str(uac_media), "-trace_rtt", "-rtt_freq", "100"])
        t = time.monotonic()
        uac.start()
        samples = []
        while uac.running() and time.monotonic() < t + budget:
            if during:
                samples.append(during())
            time.sleep(0.5)
        res = uac.wait()
        res["wall"] = time.monotonic() - t
        res["samples"] = samples
        deadline = time.monotonic() + 3
        while uas.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        uas.stop()
        answer = res["rtt"].get("answer", [])
        res["answer_p50_ms"] = percentile(answer, 50)
        res["answer_p99_ms"] = percentile(answer, 99)
        res["answer_max_ms"] = max(answer) if answer else None
        log("  %s: %d calls at %d/s: %d ok, %d failed, %d retransmissions; INVITE->200 p50 %s ms, "
            "p99 %s ms" % (name, calls, rate, res["succeeded"], res["failed"], res["retransmissions"],
                           fmt(res["answer_p50_ms"]), fmt(res["answer_p99_ms"])))
        return res


def wait_records(pg, n, timeout, events=None, interval=0.1):
    """Polls (bounded) until the database holds n CDRs (and `events` events); the count seen."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        c = int(pg.scalar("SELECT count(*) FROM cdr"))
        if c >= n and (events is None or int(pg.scalar("SELECT count(*) FROM events")) >= events):
            return c
        seen = c
        time.sleep(interval)
    return seen


# ----------------------------------------------------------------------------------------
# 1. Replay against the ceiling


def journal_lines(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if len(l) > 3 and l[0] in "CE" and l[1] == " "]


def chunks_by_cdrs(lines, batch):
    """Statements of up to `batch` CDRs, each with its own events (the journal writes a CDR's
    line before its events'): what [cdr] batch means."""
    out, cur, cdrs = [], [], 0
    for l in lines:
        if l[0] == "C":
            if cdrs == batch:
                out.append(cur)
                cur, cdrs = [], 0
            cdrs += 1
        cur.append(l)
    if cur:
        out.append(cur)
    return out


def reference_params(path, lines, batch):
    """pgload's input: per statement of up to `batch` CDRs with their events, two lines, the
    writer's $1 (the CDRs' JSON array) and $2 (the events')."""
    with open(path, "w") as f:
        for chunk in chunks_by_cdrs(lines, batch):
            f.write("[%s]\n" % ",".join(l[2:] for l in chunk if l[0] == "C"))
            f.write("[%s]\n" % ",".join(l[2:] for l in chunk if l[0] == "E"))
    return path


def build_pgload(ctx):
    """The reference client (pgload.c), compiled against libpq into the run's directory."""
    exe = os.path.join(ctx["work"], "pgload")
    inc = subprocess.run(["pg_config", "--includedir"], capture_output=True, timeout=30).stdout.decode().strip()
    r = subprocess.run(["cc", "-O2", "-I", inc or "/usr/include/postgresql", "-o", exe,
                        os.path.join(HERE, "pgload.c"), "-lpq"], capture_output=True, timeout=120)
    if r.returncode != 0:
        raise BenchError("cannot build pgload: " + r.stderr.decode("utf-8", "replace"))
    sql = os.path.join(ctx["work"], "write.sql")
    with open(sql, "w") as f:
        f.write(write_statement())
    ctx["pgload"], ctx["write_sql"] = exe, sql


def make_journal(ctx, pg, zvon, calls, n, rate):
    """N calls while PostgreSQL is stopped: the journal they leave, kept for every replay."""
    log("journal: %d calls at %d/s with PostgreSQL stopped" % (n, rate))
    pg.start()
    pg.empty_tables() if table_exists(pg) else None
    zvon.start(batch=200)
    zvon.wait_mode("database", 30)
    pg.stop()
    zvon.wait_mode("journal", 30)
    zvon.console("cdr reset lag")
    res = calls.run("journal", n, rate)
    res["lag_ms"] = zvon.status()["lag"]
    log("  loop lag max while journaling: %s" % " ".join("%s=%.1fms" % kv for kv in res["lag_ms"].items()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        s = zvon.status()
        if s.get("finished", 0) >= res["succeeded"] + res["failed"] and s["pending"] == 0:
            break
        time.sleep(0.3)
    zvon.stop()  # writes what is in memory and waits for the journal's thread
    saved = os.path.join(ctx["work"], "journal.jsonl")
    shutil.move(zvon.journal, saved)
    lines = journal_lines(saved)
    cdrs = sum(1 for l in lines if l[0] == "C")
    log("  the journal holds %d CDRs and %d events (%.1f MB), from %d calls (%d failed)"
        % (cdrs, len(lines) - cdrs, os.path.getsize(saved) / 1e6, res["created"], res["failed"]))
    if cdrs < n * 0.95:
        raise BenchError("only %d CDRs journaled for %d calls" % (cdrs, n))
    return saved, lines, res


def table_exists(pg):
    return pg.scalar("SELECT to_regclass('cdr') IS NOT NULL") == "t"


def replay_once(ctx, pg, zvon, journal, lines, batch, timeout, perf=None):
    cdrs = sum(1 for l in lines if l[0] == "C")
    events = len(lines) - cdrs
    pg.empty_tables()
    pg.psql("CHECKPOINT")
    for p in (zvon.journal, os.path.join(os.path.dirname(zvon.journal), "journal.replay.jsonl")):
        if os.path.exists(p):
            os.remove(p)
    os.makedirs(os.path.dirname(zvon.journal), exist_ok=True)
    shutil.copyfile(journal, zvon.journal)
    pg_cpu0 = pg.cpu_seconds()
    load = loadavg()
    prof = perf.start() if perf else None
    zvon.start(batch=batch)  # finds the journal, replays it as soon as the database is up
    # Slowly: each poll is a psql and a new backend, CPU taken from the replay it watches (the
    # rate comes from the commit timestamps, not from when the poll sees the end).
    seen = wait_records(pg, cdrs, timeout, events, interval=1.0)
    if prof:
        prof.note([zvon.pid()] + pg.pids())
    zvon_cpu = zvon.cpu_seconds()
    pg_cpu = pg.cpu_seconds() - pg_cpu0
    if prof:
        prof.stop()
    t = pg.timing()
    status = zvon.status()
    zvon.stop()
    if seen < cdrs:
        log("  batch %d: only %d of %d CDRs after %d s" % (batch, seen, cdrs, timeout))
    r = {"batch": batch, "load": load, "zvon_cpu_s": zvon_cpu, "pg_cpu_s": pg_cpu, "complete": seen >= cdrs,
         "replayed": status.get("replayed"), **t}
    r["cdr_rate"] = t["cdrs"] / t["seconds"] if t["seconds"] else None
    r["event_rate"] = t["events"] / t["seconds"] if t["seconds"] else None
    r["exactly_once"] = t["cdrs"] == t["distinct"] == cdrs and t["events"] == events
    log("  zvon replay, batch %d: %d CDRs + %d events in %s s = %s CDRs/s, %s events/s; %d statements "
        "(%.1f CDRs each); CPU zvon %.2f s, postgres %.2f s; load %s"
        % (batch, t["cdrs"], t["events"], fmt(t["seconds"], 2), fmt(r["cdr_rate"], 0), fmt(r["event_rate"], 0),
           t["statements"], t["cdrs"] / max(1, t["statements"]), zvon_cpu, pg_cpu, load))
    return r


def reference_once(ctx, pg, lines, batch, sync=True):
    cdrs = sum(1 for l in lines if l[0] == "C")
    path = os.path.join(ctx["work"], "reference-b%d.params" % batch)
    if not os.path.exists(path):
        reference_params(path, lines, batch)
    pg.empty_tables()
    pg.psql("CHECKPOINT")
    load = loadavg()
    pg_cpu0 = pg.cpu_seconds()
    t0 = time.monotonic()
    # On zvon's CPU, as zvon is: the client's wake-ups then queue where zvon's did.
    cmd = [ctx["pgload"], pg.conninfo, ctx["write_sql"], path] + ([] if sync else ["async"])
    if "cores" in ctx:
        cmd = machine.taskset(ctx["cores"].target, cmd)
    r = subprocess.run(cmd,
                       capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise BenchError("pgload failed: " + r.stderr.decode("utf-8", "replace")[:500])
    pg_cpu = pg.cpu_seconds() - pg_cpu0
    t = pg.timing()
    r = {"batch": batch, "sync": sync, "wall_s": wall, "pg_cpu_s": pg_cpu, "load": load, **t}
    r["cdr_rate"] = t["cdrs"] / t["seconds"] if t["seconds"] else None
    r["event_rate"] = t["events"] / t["seconds"] if t["seconds"] else None
    r["complete"] = t["cdrs"] == cdrs
    log("  libpq reference, batch %d%s: %d CDRs + %d events in %s s = %s CDRs/s, %s events/s; %d statements;"
        " postgres CPU %.2f s; wall %.2f s" % (batch, "" if sync else " (synchronous_commit off)",
                                               t["cdrs"], t["events"], fmt(t["seconds"], 2),
                                               fmt(r["cdr_rate"], 0), fmt(r["event_rate"], 0),
                                               t["statements"], pg_cpu, wall))
    return r


class Perf:
    """perf record of the whole machine (cpu-clock, the software event this VM has) while a
    replay runs, reported for this run's zvon and PostgreSQL processes only (by pid: other
    engineers' zvons and postgres servers share the machine and the command names), with
    percentages of those processes' samples."""

    def __init__(self, ctx, name):
        self.data = os.path.join(ctx["work"], name + ".perf.data")
        self.report = os.path.join(ctx["work"], name + ".profile.txt")
        self.proc = None
        self.pids = set()

    def start(self):
        self.proc = subprocess.Popen(["perf", "record", "-a", "-e", "cpu-clock", "-F", "1999",
                                      "-o", self.data, "--", "sleep", "300"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(1.0)
        return self

    def note(self, pids):
        """Processes to report (called while they live: zvon, and its backend is a child of
        the postmaster only until zvon disconnects)."""
        self.pids.update(p for p in pids if p)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        out = []
        pids = ",".join(str(p) for p in sorted(self.pids))
        for sort in ("comm,dso", "comm,dso,sym"):
            r = subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--no-children",
                                "--pid", pids, "--percentage", "relative", "--sort", sort,
                                "--percent-limit", "0.8"], capture_output=True, timeout=300)
            out.append("\n".join(l for l in r.stdout.decode("utf-8", "replace").splitlines()
                                 if l.strip() and not l.startswith("#")))
        with open(self.report, "w") as f:
            f.write("== pids %s, by command and object\n%s\n\n== by symbol\n%s\n" % (pids, out[0], out[1]))
        log("  profile -> %s" % self.report)
        log("\n".join(out[0].splitlines()[:12]))
        log("\n".join(out[1].splitlines()[:30]))


def explain_batch(ctx, pg, lines, batch):
    """EXPLAIN ANALYZE of one batch statement into empty tables, rolled back."""
    pg.empty_tables()
    chunk = chunks_by_cdrs(lines, batch)[0]
    c = ",".join(l[2:] for l in chunk if l[0] == "C")
    e = ",".join(l[2:] for l in chunk if l[0] == "E")
    path = os.path.join(ctx["work"], "explain-b%d.sql" % batch)
    with open(path, "w") as f:
        f.write("PREPARE zvon_cdr_write AS %s;\n" % write_statement())
        f.write("BEGIN;\nEXPLAIN (ANALYZE, BUFFERS, WAL) EXECUTE zvon_cdr_write($zj$[%s]$zj$, $zj$[%s]$zj$);\n"
                "ROLLBACK;\n" % (c, e))
    r = subprocess.run(["psql", pg.conninfo, "-X", "-q", "-f", path], capture_output=True, timeout=120)
    text = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    with open(os.path.join(ctx["work"], "explain-b%d.txt" % batch), "w") as f:
        f.write(text)
    log("  EXPLAIN ANALYZE, one statement of %d CDRs:\n%s" % (batch, text))
    return text


def run_replay(ctx, pg, zvon, calls, args):
    build_pgload(ctx)
    journal, lines, jres = make_journal(ctx, pg, zvon, calls, args.calls, args.journal_rate)
    pg.start()
    out = {"journal_calls": jres, "runs": []}
    for rep in range(args.repeat):
        for batch in args.batches:
            if batch == 1 and rep > 0:
                continue  # a batch-1 pair takes a minute and a half here; its ratio is not close
            # Every other repetition runs the reference first: what the previous load leaves
            # behind (dead files, dirty pages, autovacuum) then falls on each side in turn.
            if rep % 2:
                ref = reference_once(ctx, pg, lines, batch)
                z = replay_once(ctx, pg, zvon, journal, lines, batch, args.replay_timeout)
            else:
                z = replay_once(ctx, pg, zvon, journal, lines, batch, args.replay_timeout)
                ref = reference_once(ctx, pg, lines, batch)
            out["runs"].append({"batch": batch, "rep": rep, "zvon": z, "ref": ref,
                                "ratio": (z["cdr_rate"] / ref["cdr_rate"]) if z["cdr_rate"] and ref["cdr_rate"] else None})
    # Is the commit's fsync the ceiling's limit? The smallest and the largest batch without it.
    for batch in sorted({min(args.batches), max(args.batches)}):
        out.setdefault("async", []).append(reference_once(ctx, pg, lines, batch, sync=False))
    if args.profile:
        log("profile: replay with batch %d under perf" % max(args.batches))
        for batch in sorted({min(args.batches), max(args.batches)}):
            p = Perf(ctx, "replay-b%d" % batch)
            replay_once(ctx, pg, zvon, journal, lines, batch, args.replay_timeout, perf=p)
        out["explain"] = explain_batch(ctx, pg, lines, max(args.batches))
    return out


# ----------------------------------------------------------------------------------------
# 2. Live and 3. stall


STALL_FN = """CREATE OR REPLACE FUNCTION bench_stall() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(%f); RETURN NULL; END $$;
DROP TRIGGER IF EXISTS bench_stall ON cdr;
CREATE TRIGGER bench_stall BEFORE INSERT ON cdr FOR EACH STATEMENT EXECUTE FUNCTION bench_stall();"""


def live_delays(pg):
    row = pg.psql(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP (ORDER BY d),"
        " max(d), extract(epoch FROM max(c) - max(e)) * 1000 FROM (SELECT"
        " extract(epoch FROM pg_xact_commit_timestamp(xmin) - end_time) * 1000 AS d,"
        " pg_xact_commit_timestamp(xmin) AS c, end_time AS e FROM cdr) x")[0]
    return [float(v) if v else None for v in row]


def traffic_run(ctx, pg, zvon, calls, name, n, rate, stall_s):
    pg.empty_tables()
    if stall_s:
        pg.psql(STALL_FN % stall_s)
    else:
        pg.psql("DROP TRIGGER IF EXISTS bench_stall ON cdr")
    before = zvon.status()
    zvon.console("cdr reset lag")
    load = loadavg()
    cpu0 = zvon.cpu_seconds()
    res = calls.run(name, n, rate, during=lambda: zvon.status()["pending"])
    ended = res["succeeded"] + res["failed"]
    t = time.monotonic()
    seen = wait_records(pg, ended, timeout=60 + 4 * stall_s * ended / 200.0)
    landed_s = time.monotonic() - t
    after = zvon.status()
    cpu = zvon.cpu_seconds() - cpu0
    t = pg.timing()
    d = live_delays(pg)
    finished = after.get("finished", 0) - before.get("finished", 0)
    r = {"name": name, "calls": n, "rate": rate, "stall_s": stall_s, "load": load,
         "succeeded": res["succeeded"], "failed": res["failed"], "retransmissions": res["retransmissions"],
         "answer_p50_ms": res["answer_p50_ms"], "answer_p99_ms": res["answer_p99_ms"],
         "answer_max_ms": res["answer_max_ms"], "wall_s": res["wall"],
         "lag_ms": after["lag"], "lag_max_ms": max(after["lag"].values()) if after["lag"] else None,
         "pending_max": max(res["samples"]) if res["samples"] else None,
         "journaled": after.get("journaled", 0) - before.get("journaled", 0),
         "finished": finished, "cdrs": t["cdrs"], "distinct": t["distinct"], "statements": t["statements"],
         "delay_p50_ms": d[0], "delay_p99_ms": d[1], "delay_max_ms": d[2], "last_after_last_ms": d[3],
         "seen_after_calls_s": landed_s, "zvon_cpu_s": cpu}
    # Exactly once: one row per finished call, no duplicate id, nothing lost to the journal.
    r["exactly_once"] = (t["cdrs"] == t["distinct"] == finished == ended)
    log("  %s: %d CDRs for %d ended calls (%s), %d statements; record delay p50 %s ms, p99 %s ms, "
        "max %s ms; loop lag max %s; pending max %s; load %s"
        % (name, t["cdrs"], ended, "exactly once" if r["exactly_once"] else "MISMATCH: %d finished, %d distinct"
           % (finished, t["distinct"]), t["statements"], fmt(d[0]), fmt(d[1]), fmt(d[2]),
           " ".join("%s=%.1fms" % kv for kv in after["lag"].items()), r["pending_max"], load))
    pg.psql("DROP TRIGGER IF EXISTS bench_stall ON cdr")
    return r


def run_live_and_stall(ctx, pg, zvon, calls, args, only):
    out = {}
    pg.start()
    zvon.start(batch=200)
    zvon.wait_mode("database", 30)
    if "live" in only:
        log("live: %d calls at %d/s with the database up (batch 200)" % (args.live_calls, args.rate))
        out["live"] = traffic_run(ctx, pg, zvon, calls, "live", args.live_calls, args.rate, 0)
    if "stall" in only:
        n = int(args.stall_rate * args.stall_seconds)
        log("stall: %d calls at %d/s, without and with pg_sleep(%.1f) in every insert into cdr"
            % (n, args.stall_rate, args.stall))
        out["stall"] = []
        for rep in range(args.repeat):
            for s in (0.0, args.stall):
                out["stall"].append(traffic_run(ctx, pg, zvon, calls, "stall-%.1f" % s, n, args.stall_rate, s))
    zvon.stop()
    return out


# ----------------------------------------------------------------------------------------
# Report


def median(values):
    v = sorted(x for x in values if x is not None)
    return v[len(v) // 2] if v else None


def table(results):
    lines = []
    rp = results.get("replay")
    if rp:
        lines.append("Journal replay into PostgreSQL (%d CDRs, %d events), zvon vs a bare libpq client sending the same statements"
                     % (rp["runs"][0]["ref"]["cdrs"], rp["runs"][0]["ref"]["events"]))
        lines.append("%6s | %12s %12s %9s %11s | %12s %9s | %6s" % (
            "batch", "zvon CDRs/s", "events/s", "stmts", "CDRs/stmt", "libpq CDRs/s", "stmts", "ratio"))
        for batch in sorted({r["batch"] for r in rp["runs"]}):
            runs = [r for r in rp["runs"] if r["batch"] == batch]
            z = median([r["zvon"]["cdr_rate"] for r in runs])
            ze = median([r["zvon"]["event_rate"] for r in runs])
            zs = runs[0]["zvon"]["statements"]
            ref = median([r["ref"]["cdr_rate"] for r in runs])
            rs = runs[0]["ref"]["statements"]
            ratio = median([r["ratio"] for r in runs])
            ok = all(r["zvon"]["exactly_once"] for r in runs)
            lines.append("%6d | %12s %12s %9d %11.1f | %12s %9d | %6s%s" % (
                batch, fmt(z, 0), fmt(ze, 0), zs, runs[0]["zvon"]["cdrs"] / max(1, zs), fmt(ref, 0), rs,
                fmt(ratio, 2), "" if ok else "  (NOT exactly once)"))
        for a in rp.get("async", []):
            lines.append("       libpq, batch %d, synchronous_commit off: %s CDRs/s" % (a["batch"], fmt(a["cdr_rate"], 0)))
    lv = results.get("live")
    if lv:
        lines.append("")
        lines.append("Live, %d calls at %d/s, batch 200: record delay (call end -> commit) p50 %s ms, p99 %s ms, "
                     "max %s ms; last record %s ms after the last call ended; %d statements; %s"
                     % (lv["calls"], lv["rate"], fmt(lv["delay_p50_ms"]), fmt(lv["delay_p99_ms"]),
                        fmt(lv["delay_max_ms"]), fmt(lv["last_after_last_ms"]), lv["statements"],
                        "exactly once" if lv["exactly_once"] else "NOT exactly once"))
    st = results.get("stall")
    if st:
        lines.append("")
        lines.append("Loops while every insert sleeps (statement trigger with pg_sleep)")
        lines.append("%7s | %6s %7s | %14s | %12s %12s | %9s %9s | %s" % (
            "stall", "calls", "failed", "loop lag max", "INV->200 p50", "p99", "stmts", "pend max", "exactly once"))
        for r in st:
            lines.append("%6.1fs | %6d %7d | %11s ms | %9s ms %9s ms | %9d %9s | %s" % (
                r["stall_s"], r["succeeded"] + r["failed"], r["failed"], fmt(r["lag_max_ms"]),
                fmt(r["answer_p50_ms"]), fmt(r["answer_p99_ms"]), r["statements"], r["pending_max"],
                "yes" if r["exactly_once"] else "NO"))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-cdrbench"))
    ap.add_argument("--quick", action="store_true", help="fewer calls")
    ap.add_argument("--only", default="replay,live,stall")
    ap.add_argument("--calls", type=int, default=5000, help="calls journaled, then replayed")
    # 100 calls/s is what this shared two-core machine carries cleanly while six builds run
    # beside it (at 200/s a first run lost 286 of 3000 calls to retransmission timeouts).
    ap.add_argument("--rate", type=int, default=100, help="calls per second, live")
    ap.add_argument("--journal-rate", type=int, default=100, help="calls per second while journaling")
    ap.add_argument("--batches", default="1,50,200")
    ap.add_argument("--repeat", type=int, default=1, help="replay and stall runs per configuration")
    ap.add_argument("--live-calls", type=int, default=3000)
    ap.add_argument("--stall", type=float, default=0.5, help="seconds each insert into cdr sleeps")
    ap.add_argument("--stall-rate", type=int, default=100)
    ap.add_argument("--stall-seconds", type=float, default=20)
    ap.add_argument("--replay-timeout", type=int, default=240)
    ap.add_argument("--profile", action="store_true", help="perf during a replay, EXPLAIN ANALYZE of a batch")
    ap.add_argument("--max-seconds", type=int, default=1800, help="the whole run's bound")
    args = ap.parse_args()
    if args.quick:
        args.calls, args.live_calls, args.stall_seconds = 2000, 1000, 10
    args.batches = [int(b) for b in args.batches.split(",")]
    only = set(args.only.split(","))

    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
    work = os.path.join(os.path.abspath(args.build_dir), "cdr-bench-runs", stamp)
    os.makedirs(work)
    LOG = open(os.path.join(work, "bench.log"), "a")
    var_dir = os.path.join(work, "var")
    cores = machine.Cores()
    ctx = {"work": work, "cores": cores, "used_ports": set()}
    pg = Postgres(var_dir)
    zvon = Zvon(os.path.abspath(args.build_dir), work, var_dir, cores)
    calls = Calls(ctx, zvon)

    def on_signal(signum, frame):
        raise OutOfTime("signal %d" % signum) if signum == signal.SIGALRM else SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, on_signal)
    signal.alarm(args.max_seconds)

    results = {"machine": machine.describe(), "pinning": cores.describe(), "load_start": loadavg(),
               "args": vars(args), "started": stamp}
    log("CDR benchmark -> %s" % work)
    log("machine: %s; %s; load average %s" % (results["machine"], results["pinning"], results["load_start"]))
    rc = 1
    try:
        pg.start()
        # Commit times of every row: the timing of each load, by the database's own clock.
        pg.psql("ALTER SYSTEM SET track_commit_timestamp = on")
        pg.restart()
        if pg.setting("track_commit_timestamp") != "on":
            raise BenchError("track_commit_timestamp did not take")
        results["postgres"] = pg.scalar("SELECT version()")
        results["pg_settings"] = {k: pg.setting(k) for k in ("synchronous_commit", "fsync", "wal_sync_method",
                                                             "shared_buffers")}
        log("%s; %s" % (results["postgres"], results["pg_settings"]))
        if "replay" in only:
            results["replay"] = run_replay(ctx, pg, zvon, calls, args)
        if only & {"live", "stall"}:
            out = run_live_and_stall(ctx, pg, zvon, calls, args, only)
            results.update(out)
        results["load_end"] = loadavg()
        text = table(results)
        log("")
        log(text)
        log("load average at the start %s, at the end %s" % (results["load_start"], results["load_end"]))
        rc = 0
    except (BenchError, PostgresError, OutOfTime) as e:
        log("cdr bench FAILED: %s" % e)
        log(zvon.log_tail(1500))
    finally:
        for s in list(RUNNING_SIPPS):
            s.kill()
        try:
            zvon.stop()
        except Exception as e:  # the cleanup goes on
            log("stopping zvon: %s" % e)
        try:
            pg.stop()
        except Exception as e:
            log("stopping PostgreSQL: %s" % e)
        signal.alarm(0)
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=1, default=str)
        log("results: %s" % os.path.join(work, "results.json"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
