"""Post-dial delay from the wire: tcpdump records the caller's leg on loopback with kernel
timestamps (microseconds), and the pcap is read here. sipp's own clock is too coarse for a
millisecond target, and the wire time leaves out the caller's own scheduling."""

import os
import re
import signal
import struct
import subprocess
import time

from . import machine

# Link-layer header length by pcap link type.
_LINK_HEADER = {0: 4, 1: 14, 101: 0, 113: 16, 276: 20}


class Capture:
    """tcpdump of the UDP packets between two loopback ports, into a file."""

    def __init__(self, path, port_a, port_b, core, nice=None):
        self.path = path
        flt = ("udp and ((src port %d and dst port %d) or (src port %d and dst port %d))"
               % (port_a, port_b, port_b, port_a))
        cmd = machine.taskset(core, ["tcpdump", "-i", "lo", "-n", "-s", "2048", "-B", "65536",
                                     "-Z", "root", "-w", path, flt])
        if nice is not None:
            cmd = ["nice", "-n", str(nice)] + cmd
        self.cmd = cmd
        self.nice = nice
        self.proc = None
        self.summary = ""

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        machine.set_autogroup_nice(self.proc.pid, self.nice)
        # tcpdump says "listening on lo" once the capture runs.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(self.path):
            if self.proc.poll() is not None:
                raise RuntimeError("tcpdump exited: %s" % self.proc.stderr.read().decode())
            time.sleep(0.05)
        time.sleep(0.3)
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            _, err = self.proc.communicate(timeout=5)
        self.summary = err.decode("utf-8", "replace")
        return self

    @property
    def kernel_drops(self):
        m = re.search(r"(\d+) packets? dropped by kernel", self.summary)
        return int(m.group(1)) if m else None


def read_pcap(path):
    """Yields (timestamp seconds, UDP payload bytes) of each IPv4 UDP packet."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        endian = "<"
    else:
        endian = ">"
        magic = struct.unpack(">I", data[:4])[0]
    scale = 1e-9 if magic == 0xa1b23c4d else 1e-6
    link = struct.unpack(endian + "I", data[20:24])[0]
    hlen = _LINK_HEADER.get(link)
    if hlen is None:
        raise RuntimeError("pcap link type %d is not handled" % link)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        ip = pkt[hlen:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        yield sec + frac * scale, ip[ihl + 8:]


_CALL_ID = re.compile(rb"\r\n(?:Call-ID|i)\s*:\s*(\S+)", re.I)
_CSEQ = re.compile(rb"\r\nCSeq\s*:\s*(\d+)\s+(\w+)", re.I)


def call_timings(path):
    """Per call (Call-ID) the first time of: the first INVITE ("invite"), the INVITE with
    credentials ("invite_auth", a higher CSeq), the 180 ("ringing"), the 200 to the INVITE
    ("answer") and the first of 180/183/200 ("progress": the caller hears something; a B2BUA
    whose callee rings and answers at once may pass the 200 on without a 180 before it).
    Retransmissions keep the first time."""
    calls = {}
    for ts, payload in read_pcap(path):
        m = _CALL_ID.search(payload)
        c = _CSEQ.search(payload)
        if not m or not c or c.group(2).upper() != b"INVITE":
            continue
        first_line = payload.split(b"\r\n", 1)[0]
        call = calls.setdefault(m.group(1), {})
        if first_line.startswith(b"INVITE "):
            call.setdefault("invite", ts)
            if int(c.group(1)) > 1:
                call.setdefault("invite_auth", ts)
        elif first_line.startswith(b"SIP/2.0 180"):
            call.setdefault("ringing", ts)
            call.setdefault("progress", ts)
        elif first_line.startswith(b"SIP/2.0 183"):
            call.setdefault("progress", ts)
        elif first_line.startswith(b"SIP/2.0 200"):
            call.setdefault("answer", ts)
            call.setdefault("progress", ts)
    return calls


def delays_ms(calls, start, end):
    """Sorted delays in ms from event `start` to event `end` over the calls that have both."""
    return sorted((c[end] - c[start]) * 1000.0 for c in calls.values()
                  if start in c and end in c)
