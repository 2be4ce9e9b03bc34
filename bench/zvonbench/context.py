"""What every scenario of one benchmark run shares: where files go, the pinning, the ports of
the sipp caller and callee, the bounds of quick and full runs, and the log."""

import os
import sys
import time

from . import machine


class Profile:
    """Bounds of a run. Every step is bounded in calls (rate x seconds) and time."""

    def __init__(self, quick):
        self.quick = quick
        # Setup rate: UAC -> target -> UAS, short hold, no media.
        self.setup_ladder = ([200, 500, 1000, 2000, 4000] if quick else
                             [200, 400, 700, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6500, 8000])
        self.setup_step_s = 2.0 if quick else 4.0
        self.hold_ms = 200 if quick else 1000
        self.pdd_s = 3.0 if quick else 8.0
        # Registration rate over distinct users.
        self.register_ladder = ([500, 1000, 2000, 4000, 8000] if quick else
                                [500, 1000, 2000, 3000, 4000, 5000, 6500, 8000, 10000, 13000])
        self.register_step_s = 2.0 if quick else 4.0
        self.users = 12000 if quick else 40000
        # Concurrency with media (zvon only: the reference is signalling only).
        self.media_steps = [50, 100, 200] if quick else [100, 250, 500, 1000, 2000]
        self.media_hold_s = 12 if quick else 60
        self.media_setup_rate = 100 if quick else 200
        self.media_window_s = 5 if quick else 20
        # bench/run.sh --media: relayed and transcoded calls (relay_transcode.py), and the
        # frames bench/transcode codes for libopus's own cost.
        self.codec_steps = [50, 100] if quick else [100, 500, 1000]
        self.codec_packets = 5000 if quick else 20000
        self.codec_profile = False  # --media --profile: perf samples of zvon in each step's window
        self.codec_kinds = ["relayed", "transcoded"]
        self.codec_dtmfmode = None  # --media-dtmfmode: sip.conf dtmfmode= of the endpoints
        # --media-telephone-event: the sipp caller offers, and the called phone answers,
        # telephone-event beside PCMU (keys as RFC 4733 events, not tones in the audio).
        self.telephone_event = False

    def for_codec_ladder(self):
        """Holds long enough for the largest step's setup, a steady window, and a margin."""
        self.media_window_s = 6 if self.quick else 20
        setup_s = max(self.codec_steps) / float(self.media_setup_rate)
        self.media_hold_s = int(setup_s + self.media_window_s + 9)
        return self


class Context:
    def __init__(self, work_root, quick, nice):
        self.work = work_root
        self.profile = Profile(quick)
        self.cores = machine.Cores()
        self.nice = nice
        self.used_ports = set()
        self.started = time.monotonic()
        self.log_file = open(os.path.join(work_root, "bench.log"), "a")

    def step_ports(self):
        """Fresh loopback ports for one step's sipp caller and callee: what a target still
        sends for an earlier step (retransmissions, late answers) finds nobody listening."""
        return StepPorts(self.used_ports)

    def log(self, text):
        stamp = "[%5.0fs] " % (time.monotonic() - self.started)
        for line in str(text).splitlines() or [""]:
            sys.stdout.write(stamp + line + "\n")
            self.log_file.write(stamp + line + "\n")
        sys.stdout.flush()
        self.log_file.flush()


class StepPorts:
    def __init__(self, used):
        self.uac = machine.free_port("udp", avoid=used)
        used.add(self.uac)
        self.uas = machine.free_port("udp", avoid=used)
        used.add(self.uas)
        # sipp binds its -mp port and the one two above, even when it only writes the port
        # into SDP: the callee's echo and the caller each get a block of their own.
        self.echo = machine.free_port_block(4, avoid=used)
        used.update(range(self.echo, self.echo + 4))
        self.uac_media = machine.free_port_block(4, avoid=used)
        used.update(range(self.uac_media, self.uac_media + 4))
