"""NAT: rport (Sofia answers to the port a request came from and says so in the Via), the
registration of a phone behind NAT, whose Via and Contact name an address it cannot be
reached at (the INVITE goes to where the REGISTER came from; the Request-URI stays its
Contact), nat=no leaves the
Contact alone, and one-way audio: MediaStalled when RTP stops arriving while zvon sends,
MediaResumed when it comes back (the sender is MusicOnHold()). RTCP: zvon's sender report
reaches the port above the caller's RTP port with a report block about the caller's stream,
and the caller's receiver report gives zvon a round trip shown by core show channel."""
import os
import re
import tempfile
import time

from dtmf_test_common import (EventWatcher, fill_template, parse_rtcp_sr, rtcp_rr, rtp_packet,
                              udp_pair, wait_file)
from sip_test_common import SECRETS
from zvon_harness import SipClient, Zvon, check, free_port, run_sipp, run_tests

DIALPLAN = """
[internal]
exten => _1XX,1,Dial(SIP/${EXTEN},8)
 same => n,Hangup()
exten => 702,1,Answer()
 same => n,MusicOnHold(default,9)
 same => n,Hangup()
"""


def test_rport_in_the_via_of_responses(z):
    with SipClient(z.sip_port) as c:
        c.request("OPTIONS", "sip:127.0.0.1:%d" % z.sip_port)
        r = c.recv_final()
        check(r is not None, "OPTIONS answered")
        via = r.header("via") or ""
        check(re.search(r";rport=%d\b" % c.local_port, via), "rport filled in: %r" % via)


def answer_invite_busy(sock_client, timeout=10.0):
    """Waits (bounded) for an INVITE on the client's socket; answers 486. Returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = sock_client.recv(max(0.05, deadline - time.monotonic()))
        if msg is None:
            return None
        if not msg.start_line.startswith("INVITE "):
            continue
        hdr = {}
        for n, v in msg.headers:
            hdr.setdefault(n.lower(), []).append(v)
        lines = ["SIP/2.0 486 Busy Here"]
        lines += ["Via: " + v for v in hdr.get("via", hdr.get("v", []))]
        lines += ["From: " + hdr.get("from", hdr.get("f", [""]))[0]]
        lines += ["To: " + hdr.get("to", hdr.get("t", [""]))[0] + ";tag=nat486"]
        lines += ["Call-ID: " + hdr.get("call-id", hdr.get("i", [""]))[0]]
        lines += ["CSeq: " + hdr["cseq"][0], "Content-Length: 0"]
        sock_client.send_raw("\r\n".join(lines) + "\r\n\r\n")
        return msg
    return None


def test_contact_behind_nat_is_reached_at_its_source(z):
    dead_port = free_port("udp")  # what the phone wrote; nobody listens there
    w = EventWatcher(z, ["Registration"])
    try:
        with SipClient(z.sip_port) as phone:
            # Behind NAT the phone writes an address it cannot be reached at in its Via and
            # Contact (here a dead port); Sofia answers through rport all the same.
            real_port = phone.local_port
            phone.local_port = dead_port
            contact = "sip:102@127.0.0.1:%d" % dead_port
            first, final = phone.register("102", SECRETS["102"], expires=120, contact=contact)
            check(final is not None and final.status == 200, "REGISTER: %r" % final)
            check(contact in (final.header("contact") or ""),
                  "the 200 lists the contact as registered: %r" % final.header("contact"))
            check(z.wait_log(r"endpoint 102 \(nat\): %s is reached at sip:127\.0\.0\.1:%d;transport=udp"
                             % (re.escape(contact), real_port)), "the log names the next hop")
            uac = run_sipp(fill_template("uac_fail.xml.in", CODE=486), "127.0.0.1:%d" % z.sip_port,
                           user="101", password=SECRETS["101"], service="102", timeout=20,
                           work_dir=z.dir, background=True,
                           extra_keys={"caller": "101", "rtp_port": 4000})
            invite = answer_invite_busy(phone)
            r = uac.finish()
            check(invite is not None, "the INVITE reached the phone at its source port:\n" +
                  z.log_text()[-2000:])
            check(("127.0.0.1:%d" % dead_port) in invite.start_line,
                  "the Request-URI is still the Contact: %r" % invite.start_line)
            check(r.ok, "the caller got the phone's 486: " + r.describe())
            phone.register("102", SECRETS["102"], expires=0, contact=contact)
    finally:
        w.close()


def test_nat_no_keeps_the_contact(z):
    with SipClient(z.sip_port) as phone:
        contact = "sip:103@127.0.0.1:%d" % free_port("udp")
        first, final = phone.register("103", SECRETS["103"], expires=120, contact=contact)
        check(final is not None and final.status == 200, "REGISTER: %r" % final)
        time.sleep(0.2)
        check(not re.search(r"endpoint 103 \(nat\)", z.log_text()), "nat=no: no next hop")
        phone.register("103", SECRETS["103"], expires=0, contact=contact)


def test_one_way_audio_is_reported_and_rtcp_flows(z):
    rtp, rtcp = udp_pair()
    work = tempfile.mkdtemp(prefix="stall-", dir=z.dir)
    info = os.path.join(work, "media")
    local_port = free_port("both")
    scenario = fill_template("uac_dtmf.xml.in", FORMATS="0", RTPMAP="a=ptime:20", ACTIONS="")
    w = EventWatcher(z, ["MediaStalled", "MediaResumed", "MusicOnHoldStart"])
    uac = run_sipp(scenario, "127.0.0.1:%d" % z.sip_port, user="101", password=SECRETS["101"],
                   service="702", timeout=25, background=True, work_dir=z.dir,
                   local_port=local_port,
                   extra_keys={"caller": "101", "rtp_port": rtp.getsockname()[1],
                               "info_file": info, "contact_port": local_port})
    try:
        media = wait_file(info)
        check(media is not None, "call set up: " + z.log_text()[-2000:])
        # The caller sends nothing while MusicOnHold() sends to it: one-way audio.
        events = w.wait(lambda ev: any(e["type"] == "MediaStalled" for e in ev), timeout=5)
        stalled = [e for e in events if e["type"] == "MediaStalled"]
        check(stalled and stalled[0]["channel"].startswith("SIP/101") and
              int(stalled[0]["packets_sent"]) > 0 and stalled[0]["packets_received"] == "0",
              "MediaStalled: %r" % events)
        check(any(e["type"] == "MusicOnHoldStart" for e in events), "MusicOnHold() played: %r" % events)
        for i in range(25):  # bounded: half a second of audio from the caller
            rtp.sendto(rtp_packet(0, i, 160 * i, 0x7777, bytes([0xFF]) * 160), media)
            time.sleep(0.02)
        events = w.wait(lambda ev: any(e["type"] == "MediaResumed" for e in ev), timeout=3)
        check(any(e["type"] == "MediaResumed" for e in events), "MediaResumed: %r" % events)
        got = 0
        rtp.settimeout(0.5)
        try:
            data, _ = rtp.recvfrom(2048)
            got = len(data)
        except OSError:
            pass
        check(got > 12, "the music reached the caller")

        # RTCP on the port above: zvon's sender report (it sends music) with a block about
        # our stream (the 25 packets, seq 0..24); our receiver report back gives it a round trip.
        sr, sr_from = None, None
        deadline = time.monotonic() + 6
        while sr is None and time.monotonic() < deadline:  # bounded
            try:
                data, sr_from = rtcp.recvfrom(2048)
            except OSError:
                continue
            sr = parse_rtcp_sr(data)
        check(sr is not None, "zvon sent an RTCP sender report to the port above the RTP port")
        check(sr_from == (media[0], media[1] + 1), "from its RTCP port: %r" % (sr_from,))
        zvon_ssrc, ntp, blocks = sr
        check(blocks and blocks[0]["ssrc"] == 0x7777 and blocks[0]["highest"] == 24,
              "its report block describes our stream: %r" % blocks)
        rtcp.sendto(rtcp_rr(0x7777, zvon_ssrc, (ntp >> 16) & 0xFFFFFFFF), sr_from)

        def channel_detail():
            status, out = z.rx("core show channels")
            name = re.search(r"(SIP/101-\w+)", out)
            return z.rx("core show channel " + name.group(1))[1] if name else ""
        out = z.wait_for(lambda: (lambda o: o if re.search(r"rtt_ms:\s+\d", o) else "")(channel_detail()),
                         timeout=3)
        check(out and re.search(r"rtcp_received:\s+[1-9]", out) and re.search(r"rtcp_sent:\s+[1-9]", out),
              "core show channel shows RTCP and a round trip: %r" % out)
    finally:
        r = uac.finish()
        rtp.close()
        rtcp.close()
        w.close()
    check(r.ok, "MusicOnHold(default,9) ended and the dialplan hung up: " + r.describe())


if __name__ == "__main__":
    sip_conf = open(os.path.join(os.environ.get("ZVON_SOURCE_DIR", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")), "etc", "sip.conf")).read()
    sip_conf = sip_conf.replace('callerid = "Carol" <103>', 'callerid = "Carol" <103>\nnat = no')
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, etc={"sip.conf": sip_conf},
              rtp_general={"media_warning": "1"},
              zvon_general={"log_level": "verbose"}) as zvon:
        run_tests([
            test_rport_in_the_via_of_responses,
            test_contact_behind_nat_is_reached_at_its_source,
            test_nat_no_keeps_the_contact,
            test_one_way_audio_is_reported_and_rtcp_flows,
        ], zvon)
