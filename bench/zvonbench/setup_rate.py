"""Scenario 1, call setup rate: sipp caller -> target -> sipp callee, a short hold, no media.
The rate climbs until more than 0.1% of calls fail or the 99th percentile of INVITE -> 200
passes 20 ms. At half the highest clean rate, a capture gives post-dial delay (INVITE -> 180)
from kernel timestamps, and the target's CPU time per call."""

import os
import time

from . import machine, syscalls
from .capture import Capture, call_timings, delays_ms
from .ramp import ramp
from .sipp import Sipp, scenario
from .stats import percentile
from .targets import CALLER

MAX_FAIL = 0.001      # failed calls / calls
MAX_P99_MS = 20.0     # INVITE -> 200, 99th percentile
MIN_PACE = 0.95       # calls placed per second / the rate asked for


def call_step(ctx, target, rate, seconds, tag, capture=False):
    p = ctx.profile
    ports = ctx.step_ports()
    calls = max(1, int(rate * seconds))
    hold_s = p.hold_ms / 1000.0
    budget = seconds + hold_s + 20
    name = "%s-calls-%s" % (target.name.lower(), tag)
    target.register_callee(ctx.work, name, ports.uas, ctx.cores.load)
    uas = Sipp(name + "-uas", scenario("uas.xml"), ctx.work, ctx.cores.load, ports.uas,
               calls=calls, timeout=budget + 10, nice=ctx.nice, args=["-mp", str(ports.echo)])
    uas.start()
    time.sleep(0.3)
    cap = None
    if capture:
        cap = Capture(os.path.join(ctx.work, name + ".pcap"), ports.uac, target.sip_port,
                      ctx.cores.load, nice=ctx.nice).start()
    # The called number is the callee's port: Kamailio routes on it, zvon's dialplan ignores it.
    uac = Sipp(name + "-uac", scenario("uac_call.xml"), ctx.work, ctx.cores.load, ports.uac,
               target="127.0.0.1:%d" % target.sip_port, calls=calls, timeout=budget, nice=ctx.nice,
               args=["-s", str(ports.uas), "-key", "caller", str(CALLER), "-au", str(CALLER),
                     "-ap", "pw%d" % CALLER, "-r", str(rate), "-d", str(p.hold_ms),
                     "-l", str(int(rate * (hold_s + 5)) + 100), "-recv_timeout", "5000",
                     "-mp", str(ports.uac_media), "-trace_rtt", "-rtt_freq", "10"])
    total = machine.CpuWindow(target.pids).start()
    cs0 = machine.context_switches(target.pids())
    udp0 = machine.udp_counters()
    t0 = time.monotonic()
    uac.start()
    # How busy the target's core and the generator's core are while calls are being placed.
    time.sleep(min(0.5, seconds / 4.0))
    busy = machine.CpuWindow(target.pids).start()
    gen = machine.CpuWindow(lambda: [uac.pid, uas.pid]).start()
    counter = None
    if capture:  # the half-rate step: system calls per call while calls are placed steadily
        counter = syscalls.Counter(os.path.join(ctx.work, name + ".syscalls.csv"), target.pids(),
                                   t0 + seconds - 0.1 - time.monotonic(), ctx.cores.load).start()
    while time.monotonic() < t0 + seconds - 0.1 and uac.running():
        time.sleep(0.05)
    busy.stop()
    gen.stop()
    counts = counter.result() if counter else {}
    res = uac.wait()
    total.stop()
    switches = machine.context_switches(target.pids()) - cs0
    udp1 = machine.udp_counters()
    # The callee ends by itself after `calls` calls; calls the caller gave up on may keep it.
    deadline = time.monotonic() + 3
    while uas.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    uas.stop()
    if cap:
        cap.stop()

    answer = sorted(res.rtt.get("answer", []))
    pace = res.pace("answer")
    step = {
        "rate": rate, "calls": calls, "created": res.created, "succeeded": res.succeeded,
        "failed": res.failed, "retransmissions": res.retransmissions,
        "answer_p50_ms": percentile(answer, 50), "answer_p99_ms": percentile(answer, 99),
        "pace": pace,
        "target_cpu_s": total.cpu,
        "target_cpu_us_per_call": (total.cpu * 1e6 / res.succeeded) if res.succeeded else None,
        "target_load": busy.load, "sipp_load": gen.load,
        "target_switches_per_call": (switches / float(res.succeeded)) if res.succeeded else None,
        "udp_rcvbuf_errors": udp1["RcvbufErrors"] - udp0["RcvbufErrors"],
        # Over the counting window, at the asked rate: calls placed = rate x window.
        "syscalls_per_call": syscalls.per(counts, rate * max(0.1, busy.wall)) if counts else {},
        "work_dir": res.work_dir,
    }
    why = []
    accounted = res.succeeded + res.failed
    if res.created == 0:
        why.append("sipp placed no call: " + res.stdout_problem())
    elif res.timed_out or accounted < calls:
        why.append("%d of %d calls never ended" % (calls - accounted, calls))
    if res.failed > MAX_FAIL * calls:
        why.append("%d failed calls (%.2f%%)" % (res.failed, 100.0 * res.failed / calls))
    if step["answer_p99_ms"] is not None and step["answer_p99_ms"] > MAX_P99_MS:
        why.append("p99 INVITE->200 %.0f ms" % step["answer_p99_ms"])
    if pace is not None and pace < MIN_PACE * rate:
        why.append("sipp placed only %.0f calls/s" % pace)
    if why and gen.load > 0.85:
        why.append("the load generator's core was %.0f%% busy: the limit may be sipp's"
                   % (100 * gen.load))
    step["clean"] = not why
    step["why"] = "; ".join(why)
    if why and res.errors:
        step["first_errors"] = res.first_errors(800)
    if cap:
        timings = call_timings(cap.path)
        # Post-dial delay: to the first 180/183/200, whichever the caller got first. zvon's
        # Dial passes a 180 on only when it sees the callee ringing before the answer; when the
        # 180 and the 200 arrive together it sends the 200 alone (ringing_share says how often).
        pdd = delays_ms(timings, "invite", "progress")
        pdd_auth = delays_ms(timings, "invite_auth", "progress")
        rang = sum(1 for c in timings.values() if "invite" in c and "ringing" in c)
        ans = delays_ms(timings, "invite", "answer")
        step.update({
            "captured_calls": len(timings), "capture_drops": cap.kernel_drops,
            "pdd_p50_ms": percentile(pdd, 50), "pdd_p99_ms": percentile(pdd, 99),
            "pdd_auth_p50_ms": percentile(pdd_auth, 50), "pdd_auth_p99_ms": percentile(pdd_auth, 99),
            "wire_answer_p50_ms": percentile(ans, 50), "wire_answer_p99_ms": percentile(ans, 99),
            "pdd_samples": len(pdd),
            "ringing_share": (rang / float(len(pdd))) if pdd else None,
        })
    return step


def run(ctx, running):
    p = ctx.profile
    target = running.target
    ctx.log("%s: call setup rate (hold %d ms, %.0f s steps, %d steps at most)"
            % (target.name, p.hold_ms, p.setup_step_s, len(p.setup_ladder) + 1))
    counter = [0]

    def step(rate):
        counter[0] += 1
        time.sleep(1.0)  # let the previous step's transactions and legs drain
        return call_step(ctx, running.target, rate, p.setup_step_s,
                         "r%02d-%d" % (counter[0], rate))

    best, steps = ramp(p.setup_ladder, step, ctx.log, running.restart)
    result = {"steps": steps, "max_clean_rate": best["rate"] if best else None, "best": best}
    if best:
        half = max(10, best["rate"] // 2)
        time.sleep(1.0)
        ctx.log("%s: post-dial delay and CPU per call at %d calls/s (half), tcpdump on"
                % (target.name, half))
        h = call_step(ctx, running.target, half, p.pdd_s, "half-%d" % half, capture=True)
        result["half"] = h
        ctx.log("  pdd p50 %s ms, p99 %s ms; %s us CPU per call; %s"
                % (_f(h.get("pdd_p50_ms")), _f(h.get("pdd_p99_ms")),
                   _f(h.get("target_cpu_us_per_call"), 0), "clean" if h["clean"] else h["why"]))
        if h.get("syscalls_per_call"):
            ctx.log("  per call: " + syscalls.describe(h["syscalls_per_call"]))
    return result


def _f(v, digits=2):
    return "-" if v is None else ("%." + str(digits) + "f") % v
