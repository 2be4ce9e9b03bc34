"""bench/run.sh --media: relayed and transcoded calls side by side, with the codec's own cost
measured in the same run.

Both kinds of call are placed the same way: the sipp caller offers only PCMU and streams G.711
(rtp_stream, 50 packets/s); the called side is sipp for the signalling and bench/rtp_phone for
the media, one RTP endpoint per call that streams back 50 packets/s and counts what it gets.
The only difference is the called endpoint's codec: PCMU (zvon relays packets untouched) or Opus
only (zvon decodes PCMU and encodes Opus one way, decodes Opus and encodes PCMU the other: one
Opus encode and one decode per 20 ms per call). Each step runs on a freshly started zvon. A step
is checked, not assumed: `core show channel` on sampled legs names each side's codec, and the
phones' and sipp's socket counters say that audio reached both sides.

Beside the calls, bench/transcode times libopus encode+decode alone (and zvon's translators on
the same frames) before and after the ladder, so that "transcoding overhead above the codec"
compares figures taken within minutes of each other on the same core."""

import threading
import time

from . import codec_cost, profile
from .media_calls import media_step
from .rtp_phone import CODECS, RtpPhone
from .targets import Running, Zvon

MODES = (("relayed", "pcmu"), ("transcoded", "opus"))
PACKETS_PER_CALL_S = 100     # into zvon: 50/s from each phone
MAX_LOSS = 0.001
MIN_DELIVERED = 49.5         # packets/s per call reaching each side (50 sent)
# Asterisk's figure from the project brief (another machine): G.711 calls relayed per core.
ASTERISK_CALLS_PER_CORE = 550
ASTERISK_US_PER_PACKET = 18.0


def judge(step, codec, telephone_event=False):
    """(clean, why): every call up, no loss at zvon, 50 packets/s per call reaching both sides,
    and the legs in the codecs the mode is about (with telephone-event negotiated or not, as
    asked)."""
    n = step["calls"]
    problems = []
    legs = step.get("legs") or {}
    callee_codecs = {l["codec"] for l in legs.get("8000", [])}
    caller_codecs = {l["codec"] for l in legs.get("9000", [])}
    if callee_codecs and callee_codecs != {CODECS[codec]["sdp_name"]}:
        problems.append("callee legs in %s, not %s" % (sorted(map(str, callee_codecs)), codec))
    if caller_codecs and caller_codecs != {"PCMU"}:
        problems.append("caller legs in %s, not PCMU" % sorted(map(str, caller_codecs)))
    if not callee_codecs or not caller_codecs:
        problems.append("no leg to check in 'core show channels'")
    if any(not l["sent"] or not l["received"] for side in legs.values() for l in side):
        problems.append("a sampled leg sent or received nothing")
    if any(l.get("telephone_event") != telephone_event for side in legs.values() for l in side):
        problems.append("a sampled leg %s telephone-event" % ("lacks" if telephone_event else "has"))
    if (step.get("failed") or 0) > MAX_LOSS * n:
        problems.append("%d calls failed" % step["failed"])
    if step.get("loss") is None or step["loss"] > MAX_LOSS:
        problems.append("loss at zvon's sockets %s" % _pct(step.get("loss")))
    for key, side in (("to_callee_per_call_s", "callee"), ("to_caller_per_call_s", "caller")):
        if (step.get(key) or 0) < MIN_DELIVERED:
            problems.append("%.1f packets/s per call reached the %s" % (step.get(key) or 0, side))
    if (step.get("phone_decode_errors") or 0) > 0:
        problems.append("%d frames the phone could not decode" % step["phone_decode_errors"])
    generator = []
    # (A phone line that hears nothing for a second stops sending, so the phone's own rate
    # follows zvon's; only missed ticks say the phone itself could not keep up.)
    if step.get("phone_late_ticks"):
        generator.append("the RTP phone missed %d ticks" % step["phone_late_ticks"])
    if (step.get("sipp_cpu_pct") or 0) > 90:
        generator.append("the generators' core was %.0f%% busy" % step["sipp_cpu_pct"])
    step["generator_limited"] = "; ".join(generator)
    return (not problems), "; ".join(problems)


def run_step(ctx, build_dir, rtp_range, mode, codec, n, profiled=False):
    p = ctx.profile
    seconds = n / float(p.media_setup_rate) + p.media_hold_s + 45
    running = Running(lambda: Zvon(build_dir, ctx.work, ctx.cores, 0, rtp_range, nice=ctx.nice,
                                   callee_allow=CODECS[codec]["allow"],
                                   dtmfmode=p.codec_dtmfmode,
                                   telephone_event=p.telephone_event)).start()
    try:
        target = running.target
        time.sleep(2.0)
        idle = target.rss_kib()
        phone = RtpPhone(build_dir, ctx.work, "%s-phone-%d" % (mode, n), codec, n, seconds,
                         ctx.cores.load, ctx.nice)
        ctx.used_ports.update(range(phone.first_port, phone.first_port + 2 * n))
        sampler = None
        if profiled:
            # perf inside the steady window: once every call is up, for 10 s.
            warm = n / float(p.media_setup_rate) + 4
            sampler = threading.Timer(warm, profile.sample, (ctx, target.pids(),
                                                             "zvon-%s-%d" % (mode, n), 10))
            sampler.start()
        try:
            step = media_step(ctx, target, n, idle, phone=phone, tag=mode + "-")
        finally:
            phone.stop()
            if sampler:
                sampler.cancel()  # a step that ended before its window has nothing to sample
                sampler.join(timeout=120)
        step["idle_rss_kib"] = idle
    finally:
        running.stop()
    step["mode"] = mode
    step["clean"], step["why"] = judge(step, codec, p.telephone_event)
    ctx.log("  %-10s %5d calls: %s failed, CPU %s%% of a core (runnable but waiting %s%%), "
            "%s us per call-second, "
            "RSS/call %s KiB, loss at zvon %s, packets/s per call to callee %s / to caller %s, "
            "legs %s, %s%s"
            % (mode, n, step.get("failed"), _n(step.get("target_cpu_pct"), 1),
               _n(step.get("target_wait_pct"), 1), _n(step.get("cpu_us_per_call_s"), 0), _n(step.get("rss_per_call_kib"), 1),
               _pct(step.get("loss")), _n(step.get("to_callee_per_call_s"), 1),
               _n(step.get("to_caller_per_call_s"), 1), _legs(step.get("legs")),
               "clean" if step["clean"] else "NOT clean: " + step["why"],
               " (generator: %s)" % step["generator_limited"] if step["generator_limited"] else ""))
    return step


def ladder(ctx, build_dir, rtp_range, mode, codec):
    """The steps of the profile, each run; then, when some were clean and some not, up to three
    steps between the highest clean and the lowest unclean (geometric middle) narrow down the
    highest clean count. A first step that is not clean halves until one is (three times)."""
    p = ctx.profile
    steps = [run_step(ctx, build_dir, rtp_range, mode, codec, n, p.codec_profile)
             for n in p.codec_steps]
    good = [s["calls"] for s in steps if s["clean"]]
    bad = [s["calls"] for s in steps if not s["clean"]]
    if not good:
        n = min(bad)
        for _ in range(3):
            n //= 2
            if n < 10:
                break
            s = run_step(ctx, build_dir, rtp_range, mode, codec, n)
            steps.append(s)
            if s["clean"]:
                good.append(n)
                break
            bad.append(n)
    for _ in range(3 if good and bad else 0):
        lo = max(good)
        hi = min([b for b in bad if b > lo] or [0])
        if not hi:
            break
        mid = int(round((lo * hi) ** 0.5 / 10.0) * 10)
        if not lo < mid < hi:
            break
        s = run_step(ctx, build_dir, rtp_range, mode, codec, mid)
        steps.append(s)
        (good if s["clean"] else bad).append(mid)
    best = max(good) if good else None
    return {"steps": sorted(steps, key=lambda s: s["calls"]), "highest_clean": best}


def run(ctx, build_dir, rtp_range):
    p = ctx.profile
    res = {}
    ctx.log("media: relayed (PCMU both legs) and transcoded (PCMU <-> Opus) calls, steps %s, "
            "%d s hold, %d s window, a fresh zvon per step" % (p.codec_steps, p.media_hold_s,
                                                               p.media_window_s))
    res["codec_before"] = codec_cost.measure(ctx, build_dir, p.codec_packets)
    ctx.log("  libopus alone: %s" % _codec(res["codec_before"]))
    for mode, codec in MODES:
        if mode in p.codec_kinds:
            res[mode] = ladder(ctx, build_dir, rtp_range, mode, codec)
    res["codec_after"] = codec_cost.measure(ctx, build_dir, p.codec_packets)
    ctx.log("  libopus alone: %s" % _codec(res["codec_after"]))
    res["summary"] = summarize(res)
    return res


def libopus_us_per_call_s(res):
    """One Opus encode and one decode per 20 ms per transcoded call: 50 frames/s each way."""
    ns = [r["libopus_ns_per_frame"] for r in (res.get("codec_before"), res.get("codec_after"))
          if r and "libopus_ns_per_frame" in r]
    return 50 * (sum(ns) / len(ns)) / 1000.0 if ns else None


def summarize(res):
    """Per-call costs and the ratios the issue asks for, from the clean steps."""
    lib = libopus_us_per_call_s(res)
    relayed = {s["calls"]: s for s in res.get("relayed", {}).get("steps", []) if s["clean"]}
    out = {"libopus_us_per_call_s": lib, "rows": []}
    for s in res.get("transcoded", {}).get("steps", []):
        if not s["clean"] or not lib:
            continue
        # The relayed step of the same size, else the nearest clean one below it.
        ref_n = max([n for n in relayed if n <= s["calls"]] or [None], key=lambda x: x or 0)
        r = relayed.get(ref_n)
        t_us = s["cpu_us_per_call_s"]
        row = {"calls": s["calls"], "transcoded_us": t_us, "libopus_us": lib,
               "total_over_libopus": t_us / lib - 1}
        if r:
            row.update({"relayed_calls": ref_n, "relayed_us": r["cpu_us_per_call_s"],
                        "transcoding_over_libopus": (t_us - r["cpu_us_per_call_s"]) / lib - 1})
        out["rows"].append(row)
    best_relayed = list(relayed.values())
    if best_relayed:
        top = max(best_relayed, key=lambda s: s["calls"])
        us = top["cpu_us_per_call_s"]
        out["relayed"] = {"calls": top["calls"], "us_per_call_s": us,
                          "us_per_packet": us / PACKETS_PER_CALL_S,
                          "calls_per_core": 1e6 / us,
                          "vs_asterisk": 1e6 / us / ASTERISK_CALLS_PER_CORE}
    clean_t = [s for s in res.get("transcoded", {}).get("steps", []) if s["clean"]]
    if clean_t:
        top = max(clean_t, key=lambda s: s["calls"])
        out["transcoded"] = {"calls": top["calls"], "us_per_call_s": top["cpu_us_per_call_s"],
                             "calls_per_core": 1e6 / top["cpu_us_per_call_s"]}
    if lib:
        out["libopus_calls_per_core"] = 1e6 / lib
    return out


def render(res, header):
    out = ["zvon media benchmark: relayed and transcoded calls, %s run, %s" % (header["mode"], header["date"]),
           "Commit: %s" % header["commit"],
           "Machine: %s" % header["machine"],
           "Pinning: %s" % header["pinning"],
           "Load average before the run: %s; after: %s" % (header["loadavg"], header.get("loadavg_after", "-")),
           "Command: %s" % header["command"],
           "",
           "| calls | kind | failed | zvon CPU, % of a core (runnable, waiting) | CPU per call (µs per s) "
           "| libopus alone per call (µs per s) | RSS per call (KiB) | loss at zvon | "
           "packets/s per call to callee / to caller | legs (sampled) | clean |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    lib = libopus_us_per_call_s(res)
    rows = []
    for mode, _ in MODES:
        rows += res.get(mode, {}).get("steps", [])
    for s in sorted(rows, key=lambda s: (s["calls"], s["mode"])):
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s |" % (
            _n(s["calls"], 0), s["mode"], _n(s.get("failed"), 0),
            "%s (%s)" % (_n(s.get("target_cpu_pct"), 1), _n(s.get("target_wait_pct"), 1)),
            _n(s.get("cpu_us_per_call_s"), 0), _n(lib, 0) if s["mode"] == "transcoded" else "",
            _n(s.get("rss_per_call_kib"), 1), _pct(s.get("loss")),
            _n(s.get("to_callee_per_call_s"), 1), _n(s.get("to_caller_per_call_s"), 1),
            _legs(s.get("legs")),
            "yes" if s["clean"] else "no: " + s["why"]
            + (" (generator: %s)" % s["generator_limited"] if s.get("generator_limited") else "")))
    out.append("")
    for key in ("codec_before", "codec_after"):
        c = res.get(key)
        if c:
            out.append("bench/transcode %s the ladder: %s" % (key.split("_")[1], _codec(c)))
    sm = res.get("summary") or {}
    for row in sm.get("rows", []):
        line = ("%d transcoded calls: %.0f µs of zvon CPU per call-second against %.0f µs for "
                "libopus alone: everything zvon does for the call is %+.0f%% above the codec"
                % (row["calls"], row["transcoded_us"], row["libopus_us"],
                   100 * row["total_over_libopus"]))
        if "relayed_us" in row:
            line += ("; beyond what the same call costs relayed (%.0f µs at %d calls), "
                     "transcoding costs %+.0f%% above the codec"
                     % (row["relayed_us"], row["relayed_calls"], 100 * row["transcoding_over_libopus"]))
        out.append(line)
    r = sm.get("relayed")
    if r:
        out.append("Relayed G.711 at %d calls: %.0f µs per call-second, %.2f µs per packet into "
                   "zvon: %.0f calls per core, %.2fx Asterisk's ~%d (%.0f µs per packet; "
                   "the aim is 3x)" % (r["calls"], r["us_per_call_s"], r["us_per_packet"],
                                       r["calls_per_core"], r["vs_asterisk"],
                                       ASTERISK_CALLS_PER_CORE, ASTERISK_US_PER_PACKET))
    t = sm.get("transcoded")
    if t:
        out.append("Transcoded: highest clean count measured %d calls; at %.0f µs per "
                   "call-second one core would carry ~%.0f (libopus alone: ~%.0f)"
                   % (t["calls"], t["us_per_call_s"], t["calls_per_core"],
                      sm.get("libopus_calls_per_core") or 0))
    for mode, _ in MODES:
        if mode in res:
            best = res[mode].get("highest_clean")
            out.append("Highest clean %s count: %s" % (mode, "none" if best is None else best))
    return "\n".join(out) + "\n"


def _codec(c):
    if not c or "error" in c:
        return (c or {}).get("error", "-")
    return ("libopus encode+decode %.0f ns per 20 ms frame, zvon's two translators %.0f ns "
            "(%+.1f%%), %d frames" % (c["libopus_ns_per_frame"], c["translators_ns_per_frame"],
                                     100 * (c["translators_ns_per_frame"] / c["libopus_ns_per_frame"] - 1),
                                     c["packets"]))


def _legs(legs):
    if not legs:
        return "-"
    return ", ".join("%s: %s" % (ep, "/".join(sorted({str(l["codec"]) for l in ls})))
                     for ep, ls in sorted(legs.items()))


def _n(v, digits=2):
    return "-" if v is None else ("{:,.%df}" % digits).format(v)


def _pct(x):
    return "-" if x is None else "%.3f%%" % (100 * x)
