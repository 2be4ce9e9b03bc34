#!/usr/bin/env python3
"""The zvon benchmark: call setup rate, concurrent calls with media, registration rate, each
against Kamailio (a stateful proxy) in the same run where the reference applies. Started by
bench/run.sh, which builds the Release binary first. Loopback only; every step bounded.

    bench/bench.py --build-dir build-bench [--quick] [--only setup,register,media]
                   [--targets zvon,kamailio] [--profile]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from zvonbench import (callgrind, machine, media_calls, profile, registration,  # noqa: E402
                       relay_transcode, report, setup_rate)
from zvonbench.context import Context  # noqa: E402
from zvonbench.rtp_phone import CODECS, RtpPhone  # noqa: E402
from zvonbench.targets import Kamailio, Running, TargetError, Zvon  # noqa: E402


def commit():
    try:
        sha = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                             capture_output=True, timeout=10).stdout.decode().strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, timeout=10).stdout.strip()
        return sha + (" (with uncommitted changes in the tree)" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def wait_quiet(ctx, limit, seconds):
    """Waits (bounded) for the 1-minute load average to fall under `limit`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if float(loadavg().split()[0]) < limit:
            return True
        time.sleep(5)
    ctx.log("the machine is busy (load average %s): figures will be noisy" % loadavg())
    return False


def with_target(ctx, make, fn):
    """Runs fn(target) on a freshly started target, stopped afterwards."""
    running = Running(make).start()
    try:
        return fn(running.target)
    finally:
        running.stop()


def with_running(ctx, make, fn):
    """Runs fn(running): a started target the scenario may restart."""
    running = Running(make).start()
    try:
        return fn(running)
    finally:
        running.stop()


def callgrind_media(ctx, build_dir, rtp_range, codec, calls):
    """Ir per packet of `calls` calls whose callee is the RTP phone answering in `codec`."""
    name = "zvon-media-%s%s" % (codec, "-te" if ctx.profile.telephone_event else "")
    phone = RtpPhone(build_dir, ctx.work, name + "-phone", codec, calls,
                     ctx.profile.media_hold_s + 90, ctx.cores.load, ctx.nice)
    ctx.used_ports.update(range(phone.first_port, phone.first_port + 2 * calls))
    try:
        return with_target(ctx, lambda: Zvon(
            build_dir, ctx.work, ctx.cores, 0, rtp_range, nice=ctx.nice,
            callee_allow=CODECS[codec]["allow"], dtmfmode=ctx.profile.codec_dtmfmode,
            telephone_event=ctx.profile.telephone_event,
            wrapper=callgrind.wrapper(ctx.work, name)),
            lambda t: callgrind.measure_media(ctx, t, name, calls, 12, phone=phone))
    finally:
        phone.stop()


def run_callgrind(ctx, args, build_dir, users, rtp_range, nice, header, targets):
    """bench/run.sh --callgrind: instructions per call (zvon and Kamailio) and per relayed
    packet (zvon), see zvonbench/callgrind.py."""
    if not callgrind.available():
        ctx.log("valgrind (callgrind) is missing: run bench/install-bench-deps.sh as root")
        return 2
    # Under valgrind the targets run tens of times slower: a long hold for the media window.
    ctx.profile.media_hold_s = 30
    res = {"header": header}
    calls, rate = args.callgrind_calls, args.callgrind_rate
    note = ("%d calls at %d/s (hold %d ms) after a warm-up, an idle run as long taken off; "
            "media: %d calls with G.711 both ways, a 12 s window once all are up"
            % (calls, rate, ctx.profile.hold_ms, args.callgrind_media_calls))
    if args.media:
        note = ("media only: %d relayed calls and %d transcoded (PCMU <-> Opus) calls, the callee's "
                "media the RTP phone, a 12 s window once all are up"
                % (args.callgrind_media_calls, args.callgrind_transcoded_calls))
    res["note"] = note
    try:
        if "kamailio" in targets:
            ctx.log("Kamailio under callgrind: %s" % note)
            res["kamailio_calls"] = callgrind.measure_calls_at_exit(
                ctx, lambda name: Kamailio(ctx.work, ctx.cores, nice=nice,
                                           wrapper=callgrind.wrapper(ctx.work, name)),
                "kamailio", calls, rate)
        if "zvon" in targets and args.media:
            # Relayed and transcoded packets, both with the RTP phone as the callee's media.
            # libopus under valgrind is slow: one transcoded call is already a heavy load.
            res["zvon_media"] = callgrind_media(ctx, build_dir, rtp_range, "pcmu",
                                                args.callgrind_media_calls)
            # The same relayed calls with telephone-event offered and answered.
            if not ctx.profile.telephone_event:
                ctx.profile.telephone_event = True
                try:
                    res["zvon_media_te"] = callgrind_media(ctx, build_dir, rtp_range, "pcmu",
                                                           args.callgrind_media_calls)
                finally:
                    ctx.profile.telephone_event = False
            res["zvon_media_transcoded"] = callgrind_media(ctx, build_dir, rtp_range, "opus",
                                                           args.callgrind_transcoded_calls)
        elif "zvon" in targets:
            ctx.log("zvon under callgrind: %s" % note)
            res["zvon_calls"] = callgrind.measure_calls_at_exit(
                ctx, lambda name: Zvon(build_dir, ctx.work, ctx.cores, 0, rtp_range, nice=nice,
                                       wrapper=callgrind.wrapper(ctx.work, name)),
                "zvon", calls, rate)
            res["zvon_media"] = with_target(ctx, lambda: Zvon(
                build_dir, ctx.work, ctx.cores, 0, rtp_range, nice=nice,
                wrapper=callgrind.wrapper(ctx.work, "zvon-media")),
                lambda t: callgrind.measure_media(ctx, t, "zvon-media", args.callgrind_media_calls, 12))
    except TargetError as e:
        ctx.log("FAILED: %s" % e)
        res["error"] = str(e)
    finally:
        with open(os.path.join(ctx.work, "callgrind.json"), "w") as f:
            json.dump(res, f, indent=1, default=str)
    text = callgrind.render(res)
    with open(os.path.join(ctx.work, "callgrind.md"), "w") as f:
        f.write(text)
    ctx.log(text)
    ctx.log("took %.0f s; dumps and logs in %s" % (time.monotonic() - ctx.started, ctx.work))
    return 1 if "error" in res else 0


def run_media(ctx, build_dir, rtp_range, header):
    """bench/run.sh --media: relayed and transcoded calls with the codec's own cost, see
    zvonbench/relay_transcode.py."""
    ctx.profile.for_codec_ladder()
    res = {"header": header}
    try:
        res.update(relay_transcode.run(ctx, build_dir, rtp_range))
    except (TargetError, RuntimeError) as e:
        ctx.log("FAILED: %s" % e)
        res["error"] = str(e)
    header["loadavg_after"] = loadavg()
    with open(os.path.join(ctx.work, "media.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    if "error" in res:
        return 1
    text = relay_transcode.render(res, header)
    with open(os.path.join(ctx.work, "media.md"), "w") as f:
        f.write(text)
    ctx.log(text)
    ctx.log("took %.0f s; logs in %s" % (time.monotonic() - ctx.started, ctx.work))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(os.path.dirname(HERE), "build-bench"))
    ap.add_argument("--quick", action="store_true", help="short steps and low counts (< 3 min)")
    ap.add_argument("--only", default="setup,register,media",
                    help="scenarios to run, comma-separated: setup, register, media")
    ap.add_argument("--targets", default="kamailio,zvon")
    ap.add_argument("--profile", action="store_true",
                    help="instead of the table: perf profiles of zvon (and Kamailio) under load")
    ap.add_argument("--callgrind", action="store_true",
                    help="instead of the table: instructions per call and per relayed packet, "
                         "counted by callgrind (immune to other work on the machine)")
    ap.add_argument("--media", action="store_true",
                    help="instead of the table: relayed and G.711<->Opus transcoded calls at "
                         "100, 500, 1000 (50, 100 with --quick), beside libopus's own cost")
    ap.add_argument("--media-steps", default="",
                    help="with --media: the call counts to run instead of the profile's, e.g. 700")
    ap.add_argument("--media-kinds", default="relayed,transcoded",
                    help="with --media: relayed, transcoded or both")
    ap.add_argument("--media-dtmfmode", default=None,
                    help="with --media: sip.conf dtmfmode= of the endpoints (default: zvon's, "
                         "auto: keys as tones on these G.711 legs, looked for only while "
                         "something reads them)")
    ap.add_argument("--media-telephone-event", action="store_true",
                    help="with --media: the caller offers and the callee answers "
                         "telephone-event beside the codec (--callgrind --media measures "
                         "relayed calls both with and without it)")
    ap.add_argument("--callgrind-calls", type=int, default=200)
    ap.add_argument("--callgrind-transcoded-calls", type=int, default=1,
                    help="with --callgrind --media: transcoded calls for Ir per packet (the "
                         "media only: relayed and transcoded, no signalling counts)")
    ap.add_argument("--callgrind-rate", type=int, default=5)
    ap.add_argument("--callgrind-media-calls", type=int, default=10)
    ap.add_argument("--profile-rate", type=int, default=500)
    ap.add_argument("--profile-calls", type=int, default=500)
    ap.add_argument("--wait-quiet", type=float, default=60,
                    help="seconds to wait for the machine to calm down before starting")
    args = ap.parse_args()

    build_dir = os.path.abspath(args.build_dir)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = os.path.join(build_dir, "bench-runs", stamp + ("-callgrind" if args.callgrind else "")
                        + ("-media" if args.media else "") + ("-quick" if args.quick else ""))
    os.makedirs(work, exist_ok=True)
    nice = -10 if os.geteuid() == 0 else None
    ctx = Context(work, args.quick or args.callgrind, nice)
    only = set(args.only.split(","))
    targets = set(args.targets.split(","))
    p = ctx.profile

    header = {
        "mode": "quick" if args.quick else "full",
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(),
        "commit": commit(),
        "machine": machine.describe(),
        "pinning": ctx.cores.describe() + ("; all at nice -10, their session autogroups too"
                                           if nice is not None else ""),
        "command": "bash bench/run.sh" + (" --quick" if args.quick else "")
                   + (" --profile" if args.profile else "")
                   + (" --callgrind" if args.callgrind else "")
                   + (" --media" if args.media else ""),
    }
    ctx.log("zvon benchmark: results in %s" % work)
    ctx.log("machine: %s" % header["machine"])
    ctx.log("pinning: %s" % header["pinning"])
    wait_quiet(ctx, 0.7, args.wait_quiet)
    header["loadavg"] = loadavg()
    ctx.log("load average: %s" % header["loadavg"])

    users = p.users
    rtp_range = (20000, 31999)
    make_zvon = lambda: Zvon(build_dir, work, ctx.cores, users, rtp_range, nice=nice)  # noqa: E731
    make_kam = lambda: Kamailio(work, ctx.cores, nice=nice)  # noqa: E731
    header["zvon"] = make_zvon().describe().split(", UDP")[0]
    header["kamailio"] = make_kam().describe().split(", UDP")[0]
    results = {"header": header, "users": users, "zvon": {}, "kamailio": {}}

    ctx.profile.codec_dtmfmode = args.media_dtmfmode
    if args.media_dtmfmode:
        header["command"] += " --media-dtmfmode " + args.media_dtmfmode
    ctx.profile.telephone_event = args.media_telephone_event
    if args.media_telephone_event:
        header["command"] += " --media-telephone-event"
    if args.callgrind:
        return run_callgrind(ctx, args, build_dir, users, rtp_range, nice, header, targets)

    if args.media:
        ctx.profile.codec_profile = args.profile and profile.perf_available()
        if args.media_steps:
            ctx.profile.codec_steps = [int(n) for n in args.media_steps.split(",")]
        ctx.profile.codec_kinds = args.media_kinds.split(",")
        return run_media(ctx, build_dir, rtp_range, header)

    if args.profile:
        if not profile.perf_available():
            ctx.log("perf does not work here: use valgrind --tool=callgrind on a short run instead")
            return 2
        if "zvon" in targets:
            with_target(ctx, make_zvon, lambda t: (
                profile.profile_calls(ctx, t, args.profile_rate, 8),
                profile.profile_registrations(ctx, t, args.profile_rate * 2, 6),
                profile.profile_media(ctx, t, args.profile_calls)))
        if "kamailio" in targets:
            with_target(ctx, make_kam, lambda t: (
                profile.profile_calls(ctx, t, args.profile_rate, 8),
                profile.profile_registrations(ctx, t, args.profile_rate * 2, 6)))
        ctx.log("profiles in %s" % work)
        return 0

    try:
        for key, make in (("kamailio", make_kam), ("zvon", make_zvon)):
            if key not in targets:
                continue
            if "setup" in only:
                results[key]["setup"] = with_running(ctx, make, lambda r: setup_rate.run(ctx, r))
            if "register" in only:
                results[key]["register"] = with_running(ctx, make, lambda r: registration.run(ctx, r))
        if "media" in only and "zvon" in targets:
            # The stock-sized configuration (no registration users): idle RSS is the daemon's.
            results["zvon"]["media"] = with_running(
                ctx, lambda: Zvon(build_dir, work, ctx.cores, 0, rtp_range, nice=nice),
                lambda r: media_calls.run(ctx, r))
    except TargetError as e:
        ctx.log("FAILED: %s" % e)
        results["error"] = str(e)
    finally:
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=1, default=str)

    text = report.render(results)
    with open(os.path.join(work, "report.md"), "w") as f:
        f.write(text)
    ctx.log("")
    ctx.log(text)
    ctx.log("took %.0f s; results, logs and captures in %s" % (time.monotonic() - ctx.started, work))
    return 1 if "error" in results else 0


if __name__ == "__main__":
    sys.exit(main())
