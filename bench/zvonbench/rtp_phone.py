"""The called phones' media for bench/run.sh --media: bench/rtp_phone (zvon-bench-rtp-phone), one
RTP endpoint per call on consecutive even loopback ports, answering in PCMU or Opus and counting
what it receives. The sipp callee answers each call with the next endpoint's port (an injection
file, uas_phone.xml); the phone streams back to wherever zvon's audio comes from."""

import os
import re
import signal
import subprocess
import time

from . import machine

# The payload types zvon's offer gives each codec (chan_sip offer_formats: static 0 for PCMU,
# the first dynamic type, 96, for Opus when it is the only codec allowed).
CODECS = {
    "pcmu": {"pt": 0, "rtpmap": "PCMU/8000", "allow": "ulaw", "sdp_name": "PCMU"},
    "opus": {"pt": 96, "rtpmap": "opus/48000/2", "allow": "opus", "sdp_name": "opus"},
}

_LINE = re.compile(r"(\w+)=([0-9.]+)")


class RtpPhone:
    def __init__(self, build_dir, work_dir, name, codec, lines, seconds, core, nice=None):
        self.codec = codec
        self.lines = lines
        self.binary = os.path.join(build_dir, "bin", "zvon-bench-rtp-phone")
        self.dir = os.path.join(work_dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.out_path = os.path.join(self.dir, "stdout")
        # Above the kernel's ephemeral range (32768-60999 here), where sipp's and zvon's ports
        # are picked and other programs' sockets land: a block checked free stays free.
        self.first_port = self._free_block(61000, 2 * lines)
        self.ports_file = os.path.join(self.dir, "ports.csv")
        with open(self.ports_file, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(lines):
                f.write("%d;\n" % (self.first_port + 2 * i))
        cmd = [self.binary, "--codec", codec, "--pt", str(CODECS[codec]["pt"]),
               "--first-port", str(self.first_port), "--lines", str(lines),
               "--seconds", "%.0f" % seconds]
        self.cmd = machine.pinned(core, cmd, nice)
        self.nice = nice
        self.seconds = seconds
        self.proc = None

    @staticmethod
    def _free_block(lowest, size):
        """The first of `size` consecutive UDP ports from `lowest` up, all free right now."""
        import socket
        first = lowest
        while first + size < 65000:
            for p in range(first, first + size, 2):
                try:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                        s.bind(("127.0.0.1", p))
                except OSError:
                    first = p + 2
                    break
            else:
                return first
        raise RuntimeError("no block of %d free ports from %d" % (size, lowest))

    def start(self):
        if not os.path.exists(self.binary):
            raise RuntimeError("no %s: build the bench targets (bench/run.sh does)" % self.binary)
        with open(os.path.join(self.dir, "command"), "w") as f:
            f.write(" ".join(self.cmd) + "\n")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        machine.set_autogroup_nice(self.proc.pid, self.nice)
        time.sleep(0.3)
        if self.proc.poll() is not None:
            raise RuntimeError("the RTP phone exited at start: %s" % self.tail())
        return self

    @property
    def pid(self):
        return self.proc.pid

    def tail(self, chars=600):
        return machine.tail(self.out_path, chars)

    def counters(self):
        """The phone's latest running totals (rx, tx, active, bad, late_ticks, decoded,
        decode_errors), printed once a second: a window's counts are differences of two."""
        lines = [l for l in self.tail(4000).splitlines() if l.startswith("t=")]
        if not lines:
            return {}
        return {k: float(v) for k, v in _LINE.findall(lines[-1])}

    def stop(self):
        if self.proc is None:
            return {}
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.out.close()
        return self.counters()
