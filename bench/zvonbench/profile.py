"""What limits a figure, measured: perf samples (cpu-clock, a software event that works on
this virtual machine where hardware counters do not) of the target under a steady load, as a
flat profile by shared object and by symbol."""

import os
import subprocess
import threading
import time

from . import machine
from .setup_rate import call_step


def perf_available():
    try:
        r = subprocess.run(["perf", "stat", "-e", "cpu-clock", "true"], capture_output=True,
                           timeout=20)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def record(ctx, target, name, seconds, load_fn):
    """Runs load_fn() while perf samples the target for `seconds` (after a 1 s warm-up);
    returns the two reports as text."""
    data = os.path.join(ctx.work, name + ".perf.data")
    pids = ",".join(str(p) for p in target.pids())
    holder = {}

    def load():
        holder["result"] = load_fn()

    t = threading.Thread(target=load)
    t.start()
    time.sleep(1.0)
    cmd = machine.taskset(ctx.cores.load, ["perf", "record", "-e", "cpu-clock", "-F", "4000",
                                           "-p", pids, "-o", data, "--", "sleep", str(seconds)])
    subprocess.run(cmd, capture_output=True, timeout=seconds + 60)
    t.join(timeout=600)
    reports = {}
    for key, sort in (("by_dso", "dso"), ("by_symbol", "dso,sym")):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                            "--sort", sort, "--percent-limit", "0.7"],
                           capture_output=True, timeout=300)
        text = r.stdout.decode("utf-8", "replace")
        reports[key] = "\n".join(l for l in text.splitlines() if l and not l.startswith("#"))
    path = os.path.join(ctx.work, name + ".profile.txt")
    with open(path, "w") as f:
        f.write("== %s: by shared object\n%s\n\n== by symbol\n%s\n"
                % (name, reports["by_dso"], reports["by_symbol"]))
    ctx.log("profile %s -> %s" % (name, path))
    ctx.log(reports["by_dso"])
    ctx.log("\n".join(reports["by_symbol"].splitlines()[:25]))
    return reports, holder.get("result")


def profile_calls(ctx, target, rate, seconds):
    return record(ctx, target, "%s-calls-%d" % (target.name.lower(), rate), seconds,
                  lambda: call_step(ctx, target, rate, seconds + 2, "profile-%d" % rate))


def profile_registrations(ctx, target, rate, seconds):
    from .registration import register_step
    return record(ctx, target, "%s-register-%d" % (target.name.lower(), rate), seconds,
                  lambda: register_step(ctx, target, rate, seconds + 2, "profile-%d" % rate, 0))


def profile_media(ctx, target, calls):
    from .media_calls import media_step
    p = ctx.profile
    # The steady window starts once every call is up; sample inside it.
    warm = calls / float(p.media_setup_rate) + 3
    seconds = max(3, min(10, p.media_hold_s - warm - 5))
    data_name = "%s-media-%d" % (target.name.lower(), calls)
    holder = {}

    def load():
        holder["r"] = media_step(ctx, target, calls, target.rss_kib())

    t = threading.Thread(target=load)
    t.start()
    time.sleep(warm)
    out = sample(ctx, target.pids(), data_name, seconds)
    t.join(timeout=900)
    return out, holder.get("r")


def sample(ctx, pids, name, seconds):
    """perf cpu-clock samples of the processes for `seconds`, from now: [by shared object, by
    symbol], also written to <name>.profile.txt and logged."""
    data = os.path.join(ctx.work, name + ".perf.data")
    subprocess.run(machine.taskset(ctx.cores.load, [
        "perf", "record", "-e", "cpu-clock", "-F", "4000", "-p", ",".join(str(p) for p in pids),
        "-o", data, "--", "sleep", str(seconds)]), capture_output=True, timeout=seconds + 60)
    out = []
    for sort in ("dso", "dso,sym"):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort",
                            sort, "--percent-limit", "0.7"], capture_output=True, timeout=300)
        out.append("\n".join(l for l in r.stdout.decode("utf-8", "replace").splitlines()
                             if l and not l.startswith("#")))
    path = os.path.join(ctx.work, name + ".profile.txt")
    with open(path, "w") as f:
        f.write("== by shared object\n%s\n\n== by symbol\n%s\n" % (out[0], out[1]))
    ctx.log("profile %s -> %s" % (name, path))
    ctx.log(out[0])
    ctx.log("\n".join(out[1].splitlines()[:25]))
    return out
