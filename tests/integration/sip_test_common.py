"""Shared bits of the chan_sip integration tests (the SIP engineer's area)."""
import re

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
