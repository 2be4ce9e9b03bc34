"""Shared bits of the DTMF / hold integration tests: an event watcher on the console socket,
G.711 tones and RTP from Python, and the filled sipp templates."""
import math
import os
import re
import socket
import struct
import tempfile
import threading
import time

from test_console import ConsoleSocket, socket_path
from sip_test_common import fill_template, lin2ulaw, parse_rtp, rtp_packet, wait_file  # noqa: F401
from sip_test_common import udp_socket as _udp_socket
from zvon_harness import SIPP_DIR


def udp_socket():
    return _udp_socket(timeout=0.05)


class EventWatcher:
    """Subscribes to the daemon's console log stream (where every bus event appears as an
    'EVENT Type: k=v, ...' line) and keeps the events of the given types, in a thread."""

    def __init__(self, z, types):
        self.types = set(types)
        self.events = []
        self.lock = threading.Lock()
        self.stop_flag = False
        self.console = ConsoleSocket(socket_path(z))
        self.console.send("L", "1")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag:
            try:
                f = self.console.frame(timeout=0.2)
            except (TimeoutError, OSError):
                continue
            if f is None:
                return
            kind, payload = f
            if kind != "G":
                continue
            m = re.search(r"EVENT (\w+): (.*)$", payload.decode("utf-8", "replace"))
            if not m or m.group(1) not in self.types:
                continue
            fields = {}
            for kv in m.group(2).split(", "):
                k, _, v = kv.partition("=")
                fields[k] = v
            fields["type"] = m.group(1)
            with self.lock:
                self.events.append(fields)

    def snapshot(self, type_=None):
        with self.lock:
            return [e for e in self.events if type_ is None or e["type"] == type_]

    def wait(self, predicate, timeout=5.0):
        """Waits (bounded) until predicate(events) is truthy; returns the events."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ev = self.snapshot()
            if predicate(ev):
                return ev
            time.sleep(0.05)
        return self.snapshot()

    def close(self):
        self.stop_flag = True
        self.thread.join(timeout=2)
        self.console.close()


# ---------------------------------------------------------------------------------------- audio

DTMF_FREQS = {}
for r, lo in enumerate((697, 770, 852, 941)):
    for c, hi in enumerate((1209, 1336, 1477, 1633)):
        DTMF_FREQS["123A456B789C*0#D"[r * 4 + c]] = (lo, hi)


def dtmf_ulaw(key, ms, amplitude=0.25):
    """`ms` of the key's two tones as mu-law bytes (8 kHz)."""
    lo, hi = DTMF_FREQS[key]
    n = ms * 8
    return bytes(lin2ulaw(32767 * amplitude * (math.sin(2 * math.pi * lo * i / 8000) +
                                                math.sin(2 * math.pi * hi * i / 8000)))
                 for i in range(n))


def udp_pair():
    """(RTP socket on an even port, RTCP socket on the port above), bounded attempts."""
    import random
    rng = random.Random()
    for _ in range(100):
        port = rng.randrange(40000, 60000) & ~1
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            a.bind(("127.0.0.1", port))
            b.bind(("127.0.0.1", port + 1))
        except OSError:
            a.close()
            b.close()
            continue
        a.settimeout(0.05)
        b.settimeout(0.05)
        return a, b
    raise RuntimeError("no free even/odd port pair")


def parse_rtcp_sr(data):
    """(sender SSRC, NTP 64-bit, [report blocks as dicts]) of a compound starting with an SR,
    or None."""
    if len(data) < 28 or data[0] >> 6 != 2 or data[1] != 200:
        return None
    count = data[0] & 0x1F
    ssrc, ntp_hi, ntp_lo = struct.unpack("!III", data[4:16])
    blocks = []
    for i in range(count):
        o = 28 + 24 * i
        if len(data) < o + 24:
            return None
        b_ssrc, lost_word, highest, jitter, lsr, dlsr = struct.unpack("!IIIIII", data[o:o + 24])
        blocks.append({"ssrc": b_ssrc, "highest": highest, "jitter": jitter, "lsr": lsr})
    return ssrc, (ntp_hi << 32) | ntp_lo, blocks


def rtcp_rr(our_ssrc, about_ssrc, lsr, dlsr=0):
    """A receiver report with one block about `about_ssrc` (no loss), and an SDES CNAME."""
    rr = struct.pack("!BBHI", 0x81, 201, 7, our_ssrc)
    rr += struct.pack("!IIIIII", about_ssrc, 0, 0, 0, lsr, dlsr)
    cname = b"test@127.0.0.1"
    chunk = struct.pack("!I", our_ssrc) + bytes([1, len(cname)]) + cname + b"\0"
    chunk += b"\0" * (-len(chunk) % 4)
    sdes = struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk
    return rr + sdes


def available(sock):
    """The RTP packets waiting on `sock` now, without blocking: [(source address, packet)]."""
    out = []
    sock.setblocking(False)
    try:
        while True:
            data, addr = sock.recvfrom(2048)
            p = parse_rtp(data)
            if p:
                out.append((addr, p))
    except (BlockingIOError, OSError):
        pass
    finally:
        sock.settimeout(0.05)
    return out


def drain(sock):
    sock.setblocking(False)
    try:
        while True:
            sock.recvfrom(2048)
    except (BlockingIOError, OSError):
        pass
    finally:
        sock.settimeout(0.05)


