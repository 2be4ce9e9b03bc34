"""Scenario 2, concurrent calls with media: N calls through zvon held with G.711 u-law RTP both
ways. Caller and callee each stream a tone (sipp rtp_stream, 50 packets/s per call and side),
so zvon receives and relays 100 packets/s per call.

Measured over a window while all N calls are up and streaming: zvon's CPU (% of one core), its
resident memory per call, and loss: the datagrams the kernel dropped at zvon's own sockets
(their receive buffers overflowed: zvon did not read in time) against the datagrams sent to
zvon in the window. sipp 3.6.1 streams every call from its one media socket and never reads
it, so delivery to the phones is not counted; the machine's UDP datagrams per second against
the 200 per call expected (100 sent by sipp, 100 by zvon) tell whether the generator kept up
(other work on the machine adds to that figure)."""

import math
import os
import re
import time

from . import machine, rtp_phone, syscalls
from .sipp import Sipp, scenario
from .targets import CALLEE, CALLER

MAX_LOSS = 0.001


def ulaw_tone(path, seconds=1, hz=440.0, level=0.3):
    """A raw G.711 u-law file (what sipp's rtp_stream plays): a sine tone, 8 kHz."""
    def encode(sample):
        bias, clip = 0x84, 32635
        sign = 0x80 if sample < 0 else 0
        s = min(abs(sample), clip) + bias
        exponent = 7
        mask = 0x4000
        while exponent > 0 and not (s & mask):
            exponent -= 1
            mask >>= 1
        mantissa = (s >> (exponent + 3)) & 0x0F
        return ~(sign | (exponent << 4) | mantissa) & 0xFF
    n = int(8000 * seconds)
    data = bytes(encode(int(level * 32767 * math.sin(2 * math.pi * hz * i / 8000.0)))
                 for i in range(n))
    with open(path, "wb") as f:
        f.write(data)
    return path


TELEPHONE_EVENT_PT = 101


def with_telephone_event(text, pt):
    """A scenario's SDP (offer or answer) with telephone-event beside payload type `pt`: every
    'm=audio ... RTP/AVP <pt>' line gets 101, and an rtpmap line for it follows pt's."""
    lines, out = text.split("\n"), []
    for line in lines:
        if re.search(r"m=audio \S+ RTP/AVP .*\b%d$" % pt, line.rstrip()):
            line = line.rstrip() + " %d" % TELEPHONE_EVENT_PT
        out.append(line)
        if line.strip().startswith("a=rtpmap:%d " % pt):
            indent = line[:len(line) - len(line.lstrip())]
            out.append("%sa=rtpmap:%d telephone-event/8000" % (indent, TELEPHONE_EVENT_PT))
    if out == lines:
        raise ValueError("no SDP for payload type %d to add telephone-event to" % pt)
    return "\n".join(out)


def media_scenario(ctx, name, loops):
    """scenarios/<name> with the tone file and the loop count filled in (and telephone-event
    in its SDP with --media-telephone-event)."""
    tone = ulaw_tone(os.path.join(ctx.work, "tone-ulaw-1s.raw"))
    with open(scenario(name)) as f:
        text = f.read()
    text = text.replace("@RTP_FILE@", tone).replace("@RTP_LOOPS@", str(loops))
    te = ctx.profile.telephone_event
    if te:
        text = with_telephone_event(text, 0)
    path = os.path.join(ctx.work, "%s-%d%s.xml" % (name[:-4], loops, "-te" if te else ""))
    with open(path, "w") as f:
        f.write(text)
    return path


def phone_scenario(ctx, phone):
    """scenarios/uas_phone.xml answering with the phone's codec and payload type."""
    codec = rtp_phone.CODECS[phone.codec]
    with open(scenario("uas_phone.xml")) as f:
        text = f.read()
    text = text.replace("@PT@", str(codec["pt"])).replace("@CODEC@", codec["rtpmap"])
    te = ctx.profile.telephone_event
    if te:
        text = with_telephone_event(text, codec["pt"])
    path = os.path.join(ctx.work, "uas_phone-%s%s.xml" % (phone.codec, "-te" if te else ""))
    with open(path, "w") as f:
        f.write(text)
    return path


def media_step(ctx, target, n, idle_rss_kib, phone=None, tag="", check_legs=True):
    """`phone`: an RtpPhone (rtp_phone.py) that is the called side's media instead of sipp's
    rtp_stream; the callee then answers with its codec (PCMU or Opus), and unless check_legs is
    false (a caller counting zvon's instructions) the legs' codecs are read from the console."""
    p = ctx.profile
    hold_s = p.media_hold_s
    loops = hold_s - 3  # the tone ends 3 s (plus the answer time) before the BYE
    setup_s = n / float(p.media_setup_rate)
    budget = setup_s + hold_s + 30
    name = "%s-media-%s%d" % (target.name.lower(), tag, n)
    ports = ctx.step_ports()
    target.register_callee(ctx.work, name, ports.uas, ctx.cores.load)
    if phone is None:
        # The callee's tone ends a second before the caller's, so before the BYE as well.
        uas_file = media_scenario(ctx, "uas_media.xml", loops - 1)
        uas_args = ["-mp", str(ports.echo), "-rtp_threadtasks", "50"]
    else:
        uas_file = phone_scenario(ctx, phone)
        uas_args = ["-mp", str(ports.echo), "-inf", phone.ports_file]
        phone.start()
    uas = Sipp(name + "-uas", uas_file, ctx.work,
               ctx.cores.load, ports.uas, calls=n, timeout=budget + 10, nice=ctx.nice,
               args=uas_args)
    uas.start()
    time.sleep(0.3)
    uac = Sipp(name + "-uac", media_scenario(ctx, "uac_media.xml", loops), ctx.work, ctx.cores.load,
               ports.uac, target="127.0.0.1:%d" % target.sip_port, calls=n, timeout=budget,
               nice=ctx.nice,
               args=["-s", str(ports.uas), "-key", "caller", str(CALLER), "-au", str(CALLER),
                     "-ap", "pw%d" % CALLER, "-r", str(p.media_setup_rate),
                     "-d", str(hold_s * 1000), "-l", str(n), "-recv_timeout", "5000",
                     "-mp", str(ports.uac_media),
                     "-rtp_threadtasks", "50"])
    t0 = time.monotonic()
    uac.start()
    # The window: every call up and streaming (after setup plus a margin), ending before the
    # first call's tone stops.
    w_start = t0 + setup_s + 3
    w_end = min(w_start + p.media_window_s, t0 + loops - 1)
    step = {"calls": n, "hold_s": hold_s}
    if w_end - w_start < 2:
        step["why"] = "hold too short for a measuring window"
    else:
        while time.monotonic() < w_start and uac.running():
            time.sleep(0.2)
        generators = lambda: [uac.pid, uas.pid] + ([phone.pid] if phone else [])  # noqa: E731
        t_cpu = machine.CpuWindow(target.pids).start()
        g_cpu = machine.CpuWindow(generators).start()
        udp0 = machine.udp_counters()
        zdrops0 = machine.udp_socket_drops(target.pids())
        # sipp's caller never reads its media socket: once its buffer is full, every datagram
        # zvon sends it is counted as dropped there, so the drops count what reached the caller.
        to_caller0 = _timed(lambda: machine.udp_socket_drops([uac.pid]))
        phone0 = phone.counters() if phone else {}
        cs0 = machine.context_switches(target.pids())
        wait0 = machine.runqueue_wait_seconds(target.pids())
        counter = syscalls.Counter(os.path.join(ctx.work, name + ".syscalls.csv"), target.pids(),
                                   w_end - time.monotonic(), ctx.cores.load).start()
        rss = []
        channels = target.active_channels()
        while time.monotonic() < w_end and uac.running():
            rss.append(target.rss_kib())
            time.sleep(1.0)
        t_cpu.stop()
        g_cpu.stop()
        to_caller1 = _timed(lambda: machine.udp_socket_drops([uac.pid]))
        phone1 = phone.counters() if phone else {}
        udp1 = machine.udp_counters()
        zdrops = machine.drops_between(zdrops0, machine.udp_socket_drops(target.pids()))
        switches = machine.context_switches(target.pids()) - cs0
        waited = machine.runqueue_wait_seconds(target.pids()) - wait0
        into_zvon = 100.0 * n * t_cpu.wall  # 50/s from the caller + 50/s from the callee
        d = {k: udp1[k] - udp0[k] for k in udp0}
        rss_kib = max(rss) if rss else target.rss_kib()
        # Per packet into zvon (each is relayed once): the kernel's share of the cost.
        sys_per_packet = syscalls.per(counter.result(), into_zvon)
        step.update({
            "window_s": t_cpu.wall,
            "target_cpu_pct": 100.0 * t_cpu.load,
            "sipp_cpu_pct": 100.0 * g_cpu.load,
            "channels": channels,
            "rss_kib": rss_kib,
            "rss_per_call_kib": (rss_kib - idle_rss_kib) / float(n),
            "zvon_socket_drops": zdrops,
            "cpu_us_per_packet": (t_cpu.cpu * 1e6 / into_zvon) if into_zvon else None,
            "switches_per_s": switches / t_cpu.wall if t_cpu.wall > 0 else None,
            # zvon runnable but not running (its core shared with other work), % of the window.
            "target_wait_pct": 100.0 * waited / t_cpu.wall if t_cpu.wall > 0 else None,
            "loss": zdrops / into_zvon if into_zvon else None,
            "machine_udp_rcvbuf_errors": d["RcvbufErrors"],
            "machine_udp_out_pps": d["OutDatagrams"] / t_cpu.wall if t_cpu.wall > 0 else None,
            "expected_pps_through_zvon": 200 * n,  # 100/s in and 100/s out per call
            "syscalls_per_packet": sys_per_packet,
            "cpu_us_per_call_s": t_cpu.cpu * 1e6 / (n * t_cpu.wall) if t_cpu.wall > 0 else None,
            # Each phone sends 50 packets/s: what reached each side, against what was sent.
            "to_caller_per_call_s": _per_call_s(to_caller0, to_caller1, n),
        })
        if phone:
            step.update(phone_window(phone0, phone1, n))
            if check_legs:
                step["legs"] = leg_codecs(target)
    res = uac.wait()
    deadline = time.monotonic() + 5
    while uas.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    uas.stop()
    if phone:
        step["phone_totals"] = phone.stop()
    step.update({"succeeded": res.succeeded, "failed": res.failed, "work_dir": res.work_dir})
    if res.errors and res.failed:
        step["first_errors"] = res.first_errors(800)
    return step


def _timed(read):
    """(when, value) of a snapshot: reading /proc/net/udp with thousands of sockets takes a
    good part of a second, so each snapshot carries its own time (the middle of its read)."""
    t0 = time.monotonic()
    value = read()
    return (t0 + time.monotonic()) / 2, value


def _per_call_s(before, after, n):
    """Datagrams per call and second between two _timed socket-drop snapshots."""
    dt = after[0] - before[0]
    return machine.drops_between(before[1], after[1]) / (n * dt) if dt > 0 else None


def phone_window(before, after, n):
    """The phone's counts over the window, per call and second, from its own clock."""
    dt = after.get("t", 0) - before.get("t", 0)
    if dt <= 0:
        return {"phone_window_s": 0}
    d = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return {
        "phone_window_s": dt,
        "to_callee_per_call_s": d["rx"] / (n * dt),
        "from_callee_per_call_s": d["tx"] / (n * dt),
        "phone_active": after.get("active"),
        "phone_bad": d["bad"],
        "phone_late_ticks": d["late_ticks"],
        "phone_decoded": d["decoded"],
        "phone_decode_errors": d["decode_errors"],
    }


def leg_codecs(target, sample=4):
    """{endpoint: [codec of each sampled leg]} from `core show channel` (the leg's Detail names
    the negotiated codec) for a few caller and callee legs, with their packet counts: whether
    the calls really are relayed or transcoded, and that media flows on each leg."""
    status, out = target.console("core show channels")
    names = re.findall(r"^(SIP/\S+)", out, re.M) if status == 0 else []
    legs = {}
    for endpoint in (str(CALLER), str(CALLEE)):
        for name in [x for x in names if x.startswith("SIP/%s-" % endpoint)][:sample]:
            st, text = target.console("core show channel %s" % name)
            m = re.search(r"<-> \S+ (\S+)( telephone-event)?", text)
            sent = re.search(r"packets_sent:\s+(\d+)", text)
            received = re.search(r"packets_received:\s+(\d+)", text)
            legs.setdefault(endpoint, []).append({
                "codec": m.group(1) if m else ("(console gave no answer)" if st != 0 else None),
                "telephone_event": bool(m and m.group(2)),
                "sent": int(sent.group(1)) if sent else None,
                "received": int(received.group(1)) if received else None})
    return legs


def run(ctx, running):
    """Each step on a freshly started zvon, its idle RSS read first: what an earlier step left
    (transactions Sofia keeps for their timers, a heap grown and not given back) is not charged
    to the next step's calls."""
    p = ctx.profile
    ctx.log("%s: concurrent calls with G.711 media both ways, %d s hold, steps %s, a fresh "
            "process for each step" % (running.target.name, p.media_hold_s, p.media_steps))
    steps = []
    first_idle = None
    for i, n in enumerate(p.media_steps):
        if i > 0:
            running.restart()
        target = running.target
        time.sleep(2.0)
        idle = target.rss_kib()
        if first_idle is None:
            first_idle = idle
        s = media_step(ctx, target, n, idle)
        s["idle_rss_kib"] = idle
        steps.append(s)
        loss = s.get("loss")
        ctx.log("  %5d calls: %s failed, %s channels, CPU %s%%, RSS/call %s KiB (idle %.1f MiB), "
                "loss at zvon %s, machine UDP %s/s (expected %d/s), sipp CPU %s%%"
                % (n, s.get("failed"), s.get("channels"), _f(s.get("target_cpu_pct"), 1),
                   _f(s.get("rss_per_call_kib"), 1), idle / 1024.0,
                   "-" if loss is None else "%.3f%%" % (100 * loss),
                   _f(s.get("machine_udp_out_pps"), 0), 200 * n, _f(s.get("sipp_cpu_pct"), 0)))
        if s.get("syscalls_per_packet"):
            ctx.log("    per packet relayed: " + syscalls.describe(s["syscalls_per_packet"]))
        if (s.get("failed") or 0) > 0.01 * n or (loss is not None and loss > 0.01):
            ctx.log("  stopping the ladder: more than 1%% of calls or packets lost at %d calls" % n)
            break
    return {"idle_rss_kib": first_idle, "steps": steps}


def _f(v, digits=2):
    return "-" if v is None else ("%." + str(digits) + "f") % v
