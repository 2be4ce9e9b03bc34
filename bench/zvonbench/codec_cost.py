"""The codec's own cost, measured in the same run as the transcoded calls: bench/transcode
(zvon-transcode-bench) times libopus encode+decode of a 20 ms frame alone, and zvon's two
translators of a G.711 <-> Opus call on the same frames, as thread CPU time (other work on the
machine does not count), pinned to the core zvon runs on."""

import os
import re
import subprocess

from . import machine


def measure(ctx, build_dir, packets):
    binary = os.path.join(build_dir, "bin", "zvon-transcode-bench")
    cmd = machine.pinned(ctx.cores.target, [binary, str(int(packets))], ctx.nice)
    r = subprocess.run(cmd, capture_output=True, timeout=600)
    text = r.stdout.decode("utf-8", "replace")
    with open(os.path.join(ctx.work, "transcode-bench-%d.txt" % int(packets)), "a") as f:
        f.write(text + r.stderr.decode("utf-8", "replace"))
    raw = re.search(r"libopus encode\+decode\s+([0-9.]+) ns/packet", text)
    zvon = re.search(r"zvon PCMU->opus \+ opus->PCMU\s+([0-9.]+) ns/packet", text)
    if r.returncode != 0 or not raw or not zvon:
        return {"error": "zvon-transcode-bench failed (status %d): %s"
                % (r.returncode, (text + r.stderr.decode("utf-8", "replace"))[-500:])}
    return {"packets": int(packets), "libopus_ns_per_frame": float(raw.group(1)),
            "translators_ns_per_frame": float(zvon.group(1))}
