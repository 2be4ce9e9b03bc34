"""Scenario 3, registration rate: REGISTER, 401, REGISTER with MD5 digest credentials, 200,
each by a different user. The rate climbs until more than 0.1% fail or the 99th percentile of
first REGISTER -> 200 passes 20 ms."""

import os
import time

from . import machine
from .ramp import ramp
from .sipp import Sipp, scenario
from .stats import percentile
from .targets import FIRST_USER

MAX_FAIL = 0.001
MAX_P99_MS = 20.0
MIN_PACE = 0.95


def register_step(ctx, target, rate, seconds, tag, first_index):
    p = ctx.profile
    calls = max(1, min(p.users, int(rate * seconds)))
    # Each step takes the next `calls` users (wrapping): every REGISTER in a step is a
    # different account.
    name = "%s-register-%s" % (target.name.lower(), tag)
    csv = os.path.join(ctx.work, name + ".csv")
    start = first_index % p.users
    with open(csv, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(calls):
            u = FIRST_USER + (start + i) % p.users
            f.write("%d;[authentication username=%d password=pw%d]\n" % (u, u, u))
    budget = calls / float(rate) + 20
    ports = ctx.step_ports()
    uac = Sipp(name, scenario("register.xml"), ctx.work, ctx.cores.load, ports.uac,
               target="127.0.0.1:%d" % target.sip_port, calls=calls, timeout=budget, nice=ctx.nice,
               args=["-inf", csv, "-r", str(rate), "-l", str(rate * 5 + 100),
                     "-recv_timeout", "5000", "-trace_rtt", "-rtt_freq", "10"])
    t_cpu = machine.CpuWindow(target.pids).start()
    cs0 = machine.context_switches(target.pids())
    t0 = time.monotonic()
    uac.start()
    time.sleep(min(0.5, seconds / 4.0))
    busy = machine.CpuWindow(target.pids).start()
    gen = machine.CpuWindow(lambda: [uac.pid]).start()
    while time.monotonic() < t0 + calls / float(rate) - 0.1 and uac.running():
        time.sleep(0.05)
    busy.stop()
    gen.stop()
    res = uac.wait()
    t_cpu.stop()
    switches = machine.context_switches(target.pids()) - cs0
    times = sorted(res.rtt.get("register", []))
    pace = res.pace("register")
    step = {
        "rate": rate, "calls": calls, "succeeded": res.succeeded, "failed": res.failed,
        "retransmissions": res.retransmissions,
        "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "pace": pace,
        "target_cpu_s": t_cpu.cpu, "target_load": busy.load,
        "target_cpu_us_per_registration": (t_cpu.cpu * 1e6 / res.succeeded) if res.succeeded else None,
        "target_switches_per_registration": (switches / float(res.succeeded)) if res.succeeded else None,
        "sipp_load": gen.load, "work_dir": res.work_dir, "next_index": start + calls,
    }
    why = []
    if res.created == 0:
        why.append("sipp placed no call: " + res.stdout_problem())
    elif res.timed_out or res.succeeded + res.failed < calls:
        why.append("%d of %d registrations never ended" % (calls - res.succeeded - res.failed, calls))
    if res.failed > MAX_FAIL * calls:
        why.append("%d failed (%.2f%%)" % (res.failed, 100.0 * res.failed / calls))
    if step["p99_ms"] is not None and step["p99_ms"] > MAX_P99_MS:
        why.append("p99 REGISTER->200 %.0f ms" % step["p99_ms"])
    if pace is not None and pace < MIN_PACE * rate:
        why.append("sipp sent only %.0f registrations/s" % pace)
    if why and gen.load > 0.85:
        why.append("the load generator's core was %.0f%% busy: the limit may be sipp's"
                   % (100 * gen.load))
    step["clean"] = not why
    step["why"] = "; ".join(why)
    if why and res.errors:
        step["first_errors"] = res.first_errors(800)
    return step


def run(ctx, running):
    p = ctx.profile
    target = running.target
    ctx.log("%s: registration rate with digest auth over %d distinct users (%.0f s steps)"
            % (target.name, p.users, p.register_step_s))
    state = {"n": 0, "index": 0}

    def step(rate):
        state["n"] += 1
        time.sleep(1.0)
        s = register_step(ctx, running.target, rate, p.register_step_s,
                          "r%02d-%d" % (state["n"], rate), state["index"])
        state["index"] = s["next_index"]
        return s

    best, steps = ramp(p.register_ladder, step, ctx.log, running.restart)
    return {"steps": steps, "max_clean_rate": best["rate"] if best else None, "best": best}
