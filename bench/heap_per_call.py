"""Where a relayed call's memory goes: the bench's zvon (Release, build-bench/) runs under
heaptrack while `calls` relayed G.711 calls (sipp caller, RTP phone as the callee, as in
`bench/run.sh --media`) are up; then heaptrack_print lists the peak heap's consumers.

    bash bench/run.sh --media --media-steps 50 --media-kinds relayed   # builds build-bench/
    python3 bench/heap_per_call.py 200
    heaptrack_print -f <run dir>/zvon-heaptrack.zst --print-peaks 1 -n 25

Divide each consumer by the calls (or by 2 calls' legs) for its share per call. Loopback only;
bounded: one step of `calls` calls, a 25 s hold."""
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from zvonbench.context import Context  # noqa: E402
from zvonbench.media_calls import media_step  # noqa: E402
from zvonbench.rtp_phone import RtpPhone  # noqa: E402
from zvonbench.targets import Running, Zvon  # noqa: E402


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    build = os.path.join(os.path.dirname(HERE), "build-bench")
    work = os.path.join(build, "bench-runs", time.strftime("%Y%m%d-%H%M%S") + "-heaptrack")
    os.makedirs(work)
    ctx = Context(work, True, None)
    ctx.profile.media_hold_s = 25
    wrapper = ["heaptrack", "-o", os.path.join(work, "zvon-heaptrack")]
    phone = RtpPhone(build, work, "phone", "pcmu", calls, 120, ctx.cores.load, None)
    ctx.used_ports.update(range(phone.first_port, phone.first_port + 2 * calls))
    running = Running(lambda: Zvon(build, work, ctx.cores, 0, (20000, 31999),
                                   wrapper=wrapper)).start()
    try:
        step = media_step(ctx, running.target, calls, 0, phone=phone, check_legs=False)
        print("calls %d, failed %s" % (calls, step.get("failed")))
    finally:
        phone.stop()
        # heaptrack's script does not pass SIGTERM on: stop zvon itself so the data is whole.
        group = os.getpgid(running.target.proc.pid)
        pids = subprocess.run(["pgrep", "-g", str(group), "-x", "zvon"], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            os.kill(int(pid), signal.SIGTERM)
        time.sleep(10)
        running.stop()
    print("heaptrack data in %s" % work)


if __name__ == "__main__":
    main()
