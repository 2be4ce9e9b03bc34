"""Shared bits of the chan_sip integration tests (the SIP engineer's area)."""
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
