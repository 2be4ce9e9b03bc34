"""Instructions per call and per relayed packet, counted by valgrind's callgrind: a figure other
work on the machine cannot move (wall-clock rates on a shared machine drift; instruction counts
do not). Started by `bash bench/run.sh --callgrind`.

Each target runs under callgrind for the whole test. After a warm-up, the counters are zeroed
(callgrind_control -z), a fixed number of calls is placed at a low rate (the target runs tens of
times slower under valgrind), the calls end and drain, and the counters are dumped
(callgrind_control -d). An idle window of the same kind gives the cost of the target's timers
per second, which is taken off. The dump also says where the instructions went (exclusive cost
by shared object and by function), which is what limits the figure.

User-space instructions only: the kernel's share (the sendmsg/recvmsg system calls, loopback
delivery) is not counted here; bench/run.sh --profile (perf, cpu-clock samples) shows it."""

import glob
import os
import re
import subprocess
import time

from . import machine
from .media_calls import media_step
from .setup_rate import call_step

# --fair-sched: zvon hands work between its threads (SIP thread, worker loop); valgrind runs one
# thread at a time, and without fair scheduling a woken thread can wait long enough for sipp
# to time a call out.
VALGRIND = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--collect-jumps=no", "--fair-sched=yes"]


def available():
    try:
        r = subprocess.run(["valgrind", "--version"], capture_output=True, timeout=20)
        return r.returncode == 0 and subprocess.run(
            ["callgrind_control", "-h"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def wrapper(work, name):
    """The command prefix that runs a target under callgrind, its files in work/<name>-cg.*."""
    return VALGRIND + ["--callgrind-out-file=%s" % os.path.join(work, name + "-cg.%p")]


def _control(flag, pids):
    for pid in pids:
        subprocess.run(["callgrind_control", flag, str(pid)], capture_output=True, timeout=120)


def _newest_parts(work, name, pids):
    """The file of the last dump of each process."""
    out = []
    for pid in pids:
        parts = glob.glob(os.path.join(work, "%s-cg.%d.*" % (name, pid)))
        if parts:
            out.append(max(parts, key=lambda p: int(p.rsplit(".", 1)[1])))
    return out


def parse(path):
    """Reads one callgrind dump: total Ir, exclusive Ir by object and by function, and how many
    times each function was called."""
    names = {"ob": {}, "fn": {}, "cob": {}, "cfn": {}}
    total = 0
    by_obj, by_fn, calls = {}, {}, {}
    ob = fn = cfn = ""
    skip_next = False
    ref = re.compile(r"^(ob|fn|cob|cfn|fl|fi|fe|cfi|cfl)=\((\d+)\)(?: (.*))?$")
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if skip_next:  # the inclusive cost of the call line before: not this function's
                    skip_next = False
                    continue
                fields = line.split()
                if len(fields) >= 2:
                    ir = int(fields[1])
                    by_obj[ob] = by_obj.get(ob, 0) + ir
                    by_fn[(ob, fn)] = by_fn.get((ob, fn), 0) + ir
                continue
            if line.startswith("calls="):
                n = int(line[6:].split()[0])
                calls[cfn] = calls.get(cfn, 0) + n
                skip_next = True
                continue
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
                continue
            m = ref.match(line)
            if not m:
                continue
            kind, ident, text = m.groups()
            table = {"cob": "ob", "cfn": "fn"}.get(kind, kind)
            if kind in ("ob", "fn", "cob", "cfn"):
                store = names.setdefault(table, {})
                if text is not None:
                    store[ident] = text
                value = store.get(ident, "?")
                if kind == "ob":
                    ob = value
                elif kind == "fn":
                    fn = value
                elif kind == "cfn":
                    cfn = value
    return {"total": total, "by_obj": by_obj, "by_fn": by_fn, "calls": calls}


def merge(parsed):
    out = {"total": 0, "by_obj": {}, "by_fn": {}, "calls": {}}
    for p in parsed:
        out["total"] += p["total"]
        for key in ("by_obj", "by_fn", "calls"):
            for k, v in p[key].items():
                out[key][k] = out[key].get(k, 0) + v
    return out


def window(work, name, pids, fn):
    """Zeroes the counters of the processes, runs fn(), dumps; returns (parsed dump, wall s,
    fn's result)."""
    _control("-z", pids)
    t0 = time.monotonic()
    result = fn()
    wall = time.monotonic() - t0
    _control("-d", pids)
    time.sleep(1.0)
    files = _newest_parts(work, name, pids)
    return merge([parse(f) for f in files]), wall, result


def calls_named(parsed, name):
    """How many times the function `name` (exactly, or a C++ name starting with `name(`) was
    called."""
    return sum(n for f, n in parsed["calls"].items() if f == name or f.startswith(name + "("))


def subtract(a, b):
    """a - b, function by function (the cost of the calls alone, the idle run's taken off)."""
    out = {"total": a["total"] - b["total"]}
    for key in ("by_obj", "by_fn", "calls"):
        out[key] = {k: v - b[key].get(k, 0) for k, v in a[key].items()}
    return out


def top(parsed, key, n, scale):
    items = sorted(parsed[key].items(), key=lambda kv: -kv[1])[:n]
    out = []
    for k, v in items:
        label = ("%s  [%s]" % (k[1], os.path.basename(k[0]))) if isinstance(k, tuple) else os.path.basename(k)
        out.append("%12.0f  %5.1f%%  %s" % (v / scale, 100.0 * v / max(1, parsed["total"]), label[:150]))
    return out


def measure_calls_at_exit(ctx, make_running, name, calls, rate):
    """Ir per call: two runs from start to exit, one that places the calls and one that sits
    idle as long; the difference of the totals each process writes at its exit, over the
    calls. Whole runs, because work a call leaves behind (transactions kept for their timers,
    freed at expiry or shutdown) belongs to its cost, and because Kamailio's workers are forked
    processes that callgrind_control cannot reach (valgrind's gdbserver does not follow fork)."""
    def one(tag, busy):
        holder = {}

        def body(running):
            target = running.target
            call_step(ctx, target, rate, 3.0, "cg-%s-warm" % tag)
            time.sleep(2.0)
            t0 = time.monotonic()
            if busy:
                holder["step"] = call_step(ctx, target, rate, calls / float(rate), "cg-%s-%d" % (tag, calls))
                time.sleep(2.0)
                holder["wall"] = time.monotonic() - t0
            else:
                time.sleep(holder_wall[0])
            holder["pids"] = target.pids()
        from .targets import Running
        running = Running(lambda: make_running(name + "-" + tag)).start()
        try:
            body(running)
        finally:
            running.stop()
        time.sleep(1.0)
        files = [f for f in glob.glob(os.path.join(ctx.work, "%s-%s-cg.*" % (name, tag)))
                 if re.search(r"-cg\.\d+$", f)]
        return merge([parse(f) for f in files]), holder

    holder_wall = [0.0]
    busy, bh = one("busy", True)
    holder_wall[0] = bh["wall"]
    idle, _ = one("idle", False)
    step = bh["step"]
    ok = step["succeeded"]
    net = subtract(busy, idle)
    return {
        "calls": calls, "rate": rate, "succeeded": ok, "failed": step["failed"],
        "window_s": bh["wall"], "ir_busy_run": busy["total"], "ir_idle_run": idle["total"],
        "ir_per_call": net["total"] / ok if ok else None,
        "top_objects": top(net, "by_obj", 12, ok or 1),
        "top_functions": top(net, "by_fn", 40, ok or 1),
        "malloc_per_call": (calls_named(net, "malloc") / float(ok)) if ok else None,
        "method": "difference of two whole runs (busy - idle)",
    }


def measure_media(ctx, target, name, calls, seconds, phone=None):
    """Ir per relayed RTP packet: `calls` calls with G.711 both ways; the window opens once all
    are up. Packets relayed are the calls of uv_udp_try_send in the window (one per packet).
    With `phone` (an RtpPhone answering in Opus) the calls are transcoded, and the figure is
    per transcoded packet."""
    import threading
    pids = target.pids()
    holder = {}
    # No console commands: their instructions would land in the window.
    t = threading.Thread(target=lambda: holder.update(r=media_step(
        ctx, target, calls, target.rss_kib(), phone=phone, check_legs=False)))
    t.start()
    # Setup at the media scenario's rate, then 3 s more for the streams to run.
    time.sleep(calls / float(ctx.profile.media_setup_rate) + 6)
    busy, wall, _ = window(ctx.work, name, pids, lambda: time.sleep(seconds))
    t.join(timeout=ctx.profile.media_hold_s + 120)
    packets = calls_named(busy, "uv_udp_try_send")
    return {
        "calls": calls, "window_s": wall, "ir_window": busy["total"], "packets_relayed": packets,
        "ir_per_packet": busy["total"] / packets if packets else None,
        "malloc_per_packet": (calls_named(busy, "malloc") / float(packets)) if packets else None,
        "top_objects": top(busy, "by_obj", 12, packets or 1),
        "top_functions": top(busy, "by_fn", 40, packets or 1),
        "media_step": holder.get("r"),
    }


def render(res):
    out = ["Instructions (Ir, user space) counted by callgrind; %s" % res.get("note", "")]
    z, k = res.get("zvon_calls"), res.get("kamailio_calls")
    rows = [("zvon", z), ("Kamailio", k)]
    out.append("")
    out.append("| per call (INVITE/407/INVITE/180/200/ACK, BYE/200) | calls | Ir per call | malloc per call |")
    out.append("|---|---:|---:|---:|")
    for label, r in rows:
        if r:
            out.append("| %s | %d ok, %d failed | %s | %s |" % (
                label, r["succeeded"], r["failed"],
                "-" if r["ir_per_call"] is None else "{:,.0f}".format(r["ir_per_call"]),
                "-" if r["malloc_per_call"] is None else "%.0f" % r["malloc_per_call"]))
    if z and k and z.get("ir_per_call") and k.get("ir_per_call"):
        out.append("")
        out.append("zvon / Kamailio instructions per call: %.2f" % (z["ir_per_call"] / k["ir_per_call"]))
    for key, label in (("zvon_media", "Media"),
                       ("zvon_media_te", "Media, telephone-event offered and answered"),
                       ("zvon_media_transcoded", "Transcoded media")):
        m = res.get(key)
        if m:
            out.append("")
            out.append("%s: %d calls, %.0f s window, %d packets relayed, %s Ir per relayed packet, "
                       "%s malloc per packet" % (
                           label, m["calls"], m["window_s"], m["packets_relayed"],
                           "-" if m["ir_per_packet"] is None else "{:,.0f}".format(m["ir_per_packet"]),
                           "-" if m["malloc_per_packet"] is None else "%.2f" % m["malloc_per_packet"]))
    for key, title, unit in (("zvon_calls", "zvon, per call", "Ir/call"),
                             ("kamailio_calls", "Kamailio, per call", "Ir/call"),
                             ("zvon_media", "zvon media, per relayed packet", "Ir/packet"),
                             ("zvon_media_te", "zvon media with telephone-event, per relayed packet",
                              "Ir/packet"),
                             ("zvon_media_transcoded", "zvon transcoded media (PCMU <-> Opus), "
                              "per packet sent", "Ir/packet")):
        r = res.get(key)
        if not r:
            continue
        out.append("")
        out.append("%s: exclusive cost by object (%s, share)" % (title, unit))
        out += ["  " + l for l in r["top_objects"]]
        out.append("%s: exclusive cost by function (%s, share)" % (title, unit))
        out += ["  " + l for l in r["top_functions"]]
    return "\n".join(out) + "\n"
