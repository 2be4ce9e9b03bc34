"""Shared bits of the chan_sip integration tests (the SIP engineer's area)."""
import math
import os
import re
import socket
import struct
import tempfile
import time

from zvon_harness import SIPP_DIR

# A dialplan that needs nothing but the apps shipped with zvon.
DIALPLAN = """
[internal]
exten => 600,1,Answer()
 same => n,Echo()
exten => _1XX,1,Dial(SIP/${EXTEN},8)
 same => n,Hangup()
"""

SECRETS = {"101": "101secret", "102": "102secret", "103": "103secret"}

SDP_OFFER = (
    "v=0\r\n"
    "o=test 1 1 IN IP4 127.0.0.1\r\n"
    "s=test\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio %d RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
)


def masked_auth(value):
    """An authenticate header with its nonce masked: what must match between two challenges."""
    return re.sub(r'nonce="[^"]*"', 'nonce="*"', value or "")


def response_shape(resp):
    """What an attacker could compare between two answers: status, reason, header names and
    the challenge without its nonce."""
    if resp is None:
        return None
    return (resp.status, resp.reason, tuple(sorted(resp.header_names())),
            masked_auth(resp.header("www-authenticate")),
            masked_auth(resp.header("proxy-authenticate")))


def sipp_received(messages):
    """The responses sipp received, in order: [(status line, headers dict lower-case)]."""
    out = []
    for block in messages.split("-----------------------------------------------"):
        if "message received" not in block:
            continue
        body = block.split(":\n", 1)[1] if ":\n" in block else block
        lines = [l for l in body.strip().splitlines()]
        if not lines or not lines[0].startswith("SIP/2.0"):
            continue
        headers = {}
        for l in lines[1:]:
            if not l.strip():
                break
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        out.append((lines[0].strip(), headers))
    return out


def rtp_packet(pt, seq, ts, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xffff,
                       ts & 0xffffffff, ssrc) + payload


def parse_rtp(data):
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    return {"pt": data[1] & 0x7f, "seq": struct.unpack("!H", data[2:4])[0],
            "ssrc": struct.unpack("!I", data[8:12])[0], "payload": data[12:]}


def receive(sock, seconds):
    """[(source address, parsed packet)] received within `seconds` (bounded)."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data, addr = sock.recvfrom(2048)
        except socket.timeout:
            continue
        p = parse_rtp(data)
        if p:
            out.append((addr, p))
    return out


def udp_socket(timeout=0.2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(timeout)
    return s


def wait_file(path, timeout=10.0):
    """The 'address port' line a sipp scenario wrote, as (address, port), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            text = open(path).read().split()
            if len(text) == 2:
                return text[0], int(text[1])
        time.sleep(0.05)
    return None


def fill_template(name, **values):
    text = open(os.path.join(SIPP_DIR, name)).read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    fd, path = tempfile.mkstemp(suffix=".xml", prefix=name.split(".")[0] + "-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


# ----------------------------------------------------------------------------------------
# Calls offering one codec, and the audio they receive

# sipp steps ending a call zvon hangs up: wait for its BYE and answer 200.
WAIT_FOR_BYE = """  <recv request="BYE" timeout="60000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"""
# sipp steps ending a call from the caller's side after a pause (ms).
_SEND_BYE = """  <pause milliseconds="%d"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>"""

G711_PT = {"PCMU": 0, "PCMA": 8}


def uac_media_scenario(codec, hangup_after_ms=None, early_media=False):
    """A sipp UAC scenario (a temporary file) offering only `codec` ("PCMU" or "PCMA"): it
    waits for zvon's BYE, or sends its own after `hangup_after_ms`. With `early_media` the
    call fails unless a 183 with SDP comes before the 200."""
    if hangup_after_ms is None:
        end, steps = "waits for zvon's BYE", WAIT_FOR_BYE
    else:
        end, steps = "hangs up after %d ms" % hangup_after_ms, _SEND_BYE % hangup_after_ms
    if early_media:
        note = "It requires a 183 with SDP (early media) before the 200."
        early = ('  <recv response="183">\n    <action>\n      <ereg regexp="m=audio [0-9]+" '
                 'search_in="body" check_it="true" assign_to="junk"/>\n    </action>\n  </recv>')
    else:
        note, early = "", '  <recv response="183" optional="true"/>'
    return fill_template("uac_media.xml.in", CODEC=codec, PT=G711_PT[codec], END=end, STEPS=steps,
                         EARLY=early, EARLY_NOTE=note)


def lin2ulaw(sample):
    """G.711 mu-law of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    s = min(abs(int(sample)), 32635) + 0x84
    exp, mask = 7, 0x4000
    while exp > 0 and not (s & mask):
        exp -= 1
        mask >>= 1
    mantissa = (s >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mantissa)) & 0xFF


def lin2alaw(sample):
    """G.711 A-law of one 16-bit sample."""
    sign = 0x80 if sample >= 0 else 0
    s = min(abs(int(sample)), 32767) >> 3
    if s < 32:
        code = s >> 1
    else:
        seg = 1
        while seg < 7 and s >= (64 << seg) >> 1:
            seg += 1
        code = (seg << 4) | ((s >> seg) & 0x0f)
    return (code | sign) ^ 0x55


def ulaw_to_linear(byte):
    """One G.711 μ-law byte as a 16-bit sample (ITU-T G.711, as in Sun's g711.c)."""
    u = ~byte & 0xff
    t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def alaw_to_linear(byte):
    """One G.711 A-law byte as a 16-bit sample."""
    a = byte ^ 0x55
    t = (a & 0x0f) << 4
    seg = (a & 0x70) >> 4
    t = t + 8 if seg == 0 else (t + 0x108) << max(seg - 1, 0)
    return t if a & 0x80 else -t


def g711_samples(packets, codec):
    """The 8 kHz samples carried by G.711 `packets` (parsed RTP, in arrival order: loopback
    does not reorder)."""
    decode = ulaw_to_linear if codec == "PCMU" else alaw_to_linear
    pt = G711_PT[codec]
    out = []
    for p in (p for p in packets if p["pt"] == pt):
        out.extend(decode(b) for b in p["payload"])
    return out


def g711_tone(codec, freq, seconds, amplitude=0.5, rate=8000):
    """`seconds` of a sine as G.711 bytes of `codec` ("PCMU"/"PCMA"); freq 0 is silence."""
    encode = lin2ulaw if codec == "PCMU" else lin2alaw
    return bytes(encode(32767 * amplitude * math.sin(2 * math.pi * freq * i / rate))
                 for i in range(int(seconds * rate)))


class RtpSender:
    """Sends a phone's RTP to `dest` from `sock`: G.711 audio paced at 20 ms a packet, and
    RFC 4733 key presses, with one SSRC and continuous sequence numbers and timestamps."""

    def __init__(self, sock, dest, codec, ssrc=0x5eed):
        self.sock, self.dest, self.codec, self.ssrc = sock, dest, codec, ssrc
        self.seq, self.ts = 1, 0

    def audio(self, payload):
        """Sends `payload` (G.711 bytes) in real time, 160 bytes a packet."""
        start = time.monotonic()
        for n, i in enumerate(range(0, len(payload) - 159, 160)):
            delay = start + n * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.sock.sendto(rtp_packet(G711_PT[self.codec], self.seq, self.ts, self.ssrc,
                                        payload[i:i + 160]), self.dest)
            self.seq += 1
            self.ts += 160

    def key(self, digit, pt=101):
        """One RFC 4733 event of 100 ms, its end sent three times."""
        event = "0123456789*#".index(digit)
        for i, end in enumerate([False, False, False, False, True, True, True]):
            duration = 160 * min(i + 1, 5)
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            self.sock.sendto(rtp_packet(pt, self.seq, self.ts, self.ssrc, payload, marker=(i == 0)),
                             self.dest)
            self.seq += 1
            time.sleep(0.02)
        self.ts += 800


class RtpCollector:
    """Collects every RTP packet arriving on `sock` in a background thread until stop()."""

    def __init__(self, sock):
        import threading
        self.sock = sock
        self.packets = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, _ = self.sock.recvfrom(2048)
            except (socket.timeout, OSError):
                continue
            p = parse_rtp(data)
            if p:
                self.packets.append(p)

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        return self.packets
