"""chan_sip under bad input: garbage and truncated SIP over UDP and TCP is answered 400 or
dropped and the daemon keeps serving; INVITEs with garbage SDP get 488; OPTIONS gets 200."""
import os
import random
import socket
import time

from sip_test_common import DIALPLAN, SDP_OFFER, SECRETS
from zvon_harness import SipClient, Zvon, check, run_tests

VALID_REGISTER = (
    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/%(tp)s 127.0.0.1:%(port)d;branch=z9hG4bK%(branch)s\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:101@127.0.0.1>;tag=abc\r\n"
    "To: <sip:101@127.0.0.1>\r\n"
    "Call-ID: %(branch)s@test\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:101@127.0.0.1:%(port)d>\r\n"
    "Content-Length: 0\r\n\r\n")


def garbage_samples(tp, port):
    rnd = random.Random(20240601)
    valid = VALID_REGISTER % {"tp": tp, "port": port, "branch": "g%d" % rnd.randrange(1 << 30)}
    samples = [
        b"\x00\x01\x02\x03garbage\xff\xfe",
        bytes(rnd.randrange(256) for _ in range(600)),
        b"NOT A SIP MESSAGE\r\n\r\n",
        b"REGISTER\r\n\r\n",
        b"REGISTER sip:127.0.0.1 SIP/2.0\r\n\r\n",                      # no headers at all
        b"INVITE sip:600@127.0.0.1 SIP/7.3\r\nVia: nonsense\r\n\r\n",
        valid.encode()[: len(valid) // 2],                              # truncated mid-header
        valid.replace("CSeq: 1 REGISTER", "CSeq: banana REGISTER").encode(),
        valid.replace("Content-Length: 0", "Content-Length: -5").encode(),
        valid.replace("Via: SIP/2.0/", "Via: SIP/2.0/" + "X" * 5000).encode(),
        ("SIP/2.0 200 OK\r\n" + valid.split("\r\n", 1)[1]).encode(),    # a stray response
        ("REGISTER sip:127.0.0.1 SIP/2.0\r\n" + "X-Junk: " + "A" * 60000 + "\r\n\r\n").encode(),
    ]
    return samples


def expect_400_or_nothing(client, what):
    resp = client.recv(timeout=0.4)
    while resp is not None:
        check(resp.status == 400 or resp.status == 0 and not resp.raw.strip(),
              "%s was answered %r" % (what, resp.start_line))
        resp = client.recv(timeout=0.2)


def still_serves(z):
    check(z.running(), "zvon died:\n" + z.log_text()[-3000:])
    with SipClient(z.sip_port) as c:
        first, final = c.register("101", SECRETS["101"], expires=60)
        check(final is not None and final.status == 200, "REGISTER after garbage: %r" % final)
    r = z.sipp("options.xml", timeout=10)
    check(r.ok, r.describe())


def test_options_answered(z):
    for transport in ("udp", "tcp"):
        with SipClient(z.sip_port, transport) as c:
            c.request("OPTIONS", "sip:127.0.0.1:%d" % z.sip_port)
            r = c.recv_final()
            check(r is not None and r.status == 200, r)
            allow = r.header("allow") or ""
            for m in ("INVITE", "REGISTER", "OPTIONS", "BYE", "CANCEL"):
                check(m in allow, "Allow lacks %s: %s" % (m, allow))


def test_udp_garbage(z):
    for i, sample in enumerate(garbage_samples("UDP", 9)):
        with SipClient(z.sip_port, "udp") as c:
            c.send_raw(sample[:65000])
            expect_400_or_nothing(c, "udp sample %d" % i)
    still_serves(z)


def test_tcp_garbage(z):
    for i, sample in enumerate(garbage_samples("TCP", 9)):
        try:
            with SipClient(z.sip_port, "tcp") as c:
                c.send_raw(sample)
                expect_400_or_nothing(c, "tcp sample %d" % i)
        except (ConnectionError, socket.timeout, BrokenPipeError):
            pass  # closing the connection on garbage is fine
    # A message cut short by the peer closing the connection.
    s = socket.create_connection(("127.0.0.1", z.sip_port), timeout=3)
    s.sendall(b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9\r\nContent-Length: 500\r\n\r\nabc")
    s.close()
    still_serves(z)


def test_udp_flood_of_truncated_messages(z):
    valid = VALID_REGISTER % {"tp": "UDP", "port": 9, "branch": "flood"}
    with SipClient(z.sip_port, "udp") as c:
        for cut in range(1, len(valid), 7):
            c.send_raw(valid[:cut])
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and c.recv(timeout=0.1) is not None:
            pass
    still_serves(z)


def test_invite_with_garbage_sdp_gets_488(z):
    bad_bodies = [
        "this is not sdp",
        "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n",                 # no m= line
        "v=0\r\nc=IN IP6 ::1\r\nm=audio 4000 RTP/AVP 0\r\n",                    # IPv6 only
        "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 99999 RTP/AVP 0\r\n",             # bad port
        "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 18\r\n",             # G.729 only
        "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:zz\r\n",
    ]
    for body in bad_bodies:
        with SipClient(z.sip_port) as c:
            challenge, final = c.invite("101", SECRETS["101"], "600", body)
            check(challenge is not None and challenge.status == 407, challenge)
            check(final is not None and final.status == 488, "%r for %r" % (final, body))
    still_serves(z)


def test_invite_wrong_password_and_unknown_user_look_alike(z):
    sdp = SDP_OFFER % 4000
    with SipClient(z.sip_port) as a, SipClient(z.sip_port) as b:
        ca, fa = a.invite("101", "wrong", "600", sdp)
        cb, fb = b.invite("777", "wrong", "600", sdp)
        check(ca.status == 407 and cb.status == 407, (ca, cb))
        check(fa is not None and fb is not None and fa.status == fb.status == 403, (fa, fb))
        check(fa.reason == fb.reason and sorted(fa.header_names()) == sorted(fb.header_names()),
              (fa.raw, fb.raw))


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}) as zvon:
        run_tests([
            test_options_answered,
            test_udp_garbage,
            test_tcp_garbage,
            test_udp_flood_of_truncated_messages,
            test_invite_with_garbage_sdp_gets_488,
            test_invite_wrong_password_and_unknown_user_look_alike,
        ], zvon)
