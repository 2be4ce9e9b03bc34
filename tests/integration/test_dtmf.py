"""DTMF, every way a phone sends it, reaches the dialplan as the same digits: sipp plays the
RFC 4733 pcaps shipped with sip-tester, sends SIP INFO (application/dtmf-relay and
application/dtmf), or (offering no telephone-event) sends the keys as G.711 tones that zvon
finds with SpanDSP. The dialplan echoes until '#' and then hangs up, so the call only ends
by zvon's BYE when the '#' reached it; every digit also appears as a DTMF event with the way
it came. Bad INFO bodies are refused (400 / 415) and the call goes on.
NAT: the caller's Via and Contact name a port nobody listens on (as a phone behind NAT
writes its private address); zvon's BYE still reaches it, at the address the INVITE came
from."""
import os
import re
import struct
import tempfile
import time

from dtmf_test_common import (EventWatcher, dtmf_ulaw, fill_template, rtp_packet, udp_socket,
                              wait_file)
from sip_test_common import SECRETS
from zvon_harness import SipClient, Zvon, check, free_port, run_sipp, run_tests

DIALPLAN = """
[internal]
; Echo() returns when '#' is pressed: then the dialplan hangs up (zvon sends the BYE).
exten => 700,1,Answer()
 same => n,Echo()
 same => n,Hangup()
exten => 701,1,Answer()
 same => n,Wait(0.5)
 same => n,Hangup()
"""

PCAP_DIR = "/usr/share/sip-tester"
TE_FORMATS = ("0 101", "a=rtpmap:101 telephone-event/8000\n      a=fmtp:101 0-16")
G711_ONLY = ("0", "a=ptime:20")


def pcap_actions(keys):
    names = {"#": "pound", "*": "star"}
    out = []
    for k in keys:
        out.append('  <nop><action><exec play_pcap_audio="%s/dtmf_2833_%s.pcap"/></action></nop>'
                   % (PCAP_DIR, names.get(k, k)))
        out.append('  <pause milliseconds="400"/>')
    # The BYE comes once '#' has been heard: wait for it, not in a pause.
    return "\n".join(out[:-1])


def info_request(cseq, content_type, body, expect):
    return """  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[contact_port];rport;branch=[branch]
      From: "Caller" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: %d INFO
      Contact: <sip:[caller]@[local_ip]:[contact_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: %s
      Content-Length: [len]

      %s
    ]]>
  </send>
  <recv response="%d"/>""" % (cseq, content_type, body, expect)


def run_call(z, actions, formats, service="700", rtp=None, contact_port=None, during=None,
             caller="101"):
    """Places one call from 101 with the given actions; `during(zvon_media)` runs while the
    call is up. Returns the sipp result."""
    work = tempfile.mkdtemp(prefix="dtmf-", dir=z.dir)
    info = os.path.join(work, "media")
    rtp = rtp or udp_socket()
    local_port = free_port("both")
    scenario = fill_template("uac_dtmf.xml.in", FORMATS=formats[0], RTPMAP=formats[1],
                             ACTIONS=actions)
    uac = run_sipp(scenario, "127.0.0.1:%d" % z.sip_port, user=caller,
                   password=SECRETS.get(caller, caller + "secret"),
                   service=service, timeout=25, background=True, work_dir=z.dir,
                   local_port=local_port,
                   extra_keys={"caller": caller, "rtp_port": rtp.getsockname()[1],
                               "info_file": info,
                               "contact_port": contact_port or local_port})
    try:
        media = wait_file(info)
        if media is None:
            raise AssertionError("the call was not set up:\n" + uac.finish().describe() +
                                 "\n" + z.log_text()[-3000:])
        if during:
            during(media)
    finally:
        result = uac.finish()
        rtp.close()
    return result


def digits_of(watcher, source, count, timeout=5.0):
    events = watcher.wait(lambda ev: len([e for e in ev if e.get("source") == source]) >= count,
                          timeout=timeout)
    return "".join(e["digit"] for e in events if e.get("source") == source)


def test_rfc4733_pcaps_from_sip_tester(z):
    w = EventWatcher(z, ["DTMF"])
    try:
        r = run_call(z, pcap_actions("12#"), TE_FORMATS)
        check(r.ok, "the call ended by zvon after '#': " + r.describe() + z.log_text()[-3000:])
        check(digits_of(w, "rfc4733", 3) == "12#", "DTMF events: %r" % w.snapshot())
    finally:
        w.close()


def test_sip_info_digits(z):
    actions = "\n".join([
        info_request(3, "application/dtmf-relay", "Signal=Q", 400),      # not a key
        info_request(4, "application/media_control+xml", "<x/>", 415),   # not ours
        info_request(5, "application/dtmf-relay", "Signal=1\n      Duration=160", 200),
        info_request(6, "application/dtmf", "2", 200),
        info_request(7, "application/dtmf-relay", "Signal=#\n      Duration=160", 200),
    ])
    w = EventWatcher(z, ["DTMF"])
    try:
        r = run_call(z, actions, TE_FORMATS)
        check(r.ok, "INFO answers and the BYE after '#': " + r.describe() + z.log_text()[-3000:])
        check(digits_of(w, "info", 3) == "12#", "DTMF events: %r" % w.snapshot())
    finally:
        w.close()


def test_inband_tones_in_g711(z):
    """No telephone-event offered: dtmfmode=auto listens for tones in the audio."""
    rtp = udp_socket()

    def send_tones(media):
        seq, ts, ssrc = 1000, 0, 0x4444
        silence = bytes([0xFF]) * 160
        frames = []
        for key in "12#":
            tone = dtmf_ulaw(key, 100)
            frames += [tone[i:i + 160] for i in range(0, len(tone), 160)]
            frames += [silence] * 5
        frames += [silence] * 5
        for i, payload in enumerate(frames):  # bounded: 45 packets, 20 ms apart
            rtp.sendto(rtp_packet(0, seq + i, ts + 160 * i, ssrc, payload, marker=(i == 0)), media)
            time.sleep(0.02)

    w = EventWatcher(z, ["DTMF"])
    try:
        r = run_call(z, "", G711_ONLY, rtp=rtp, during=send_tones)
        check(r.ok, "the BYE after the '#' tone: " + r.describe() + z.log_text()[-3000:])
        check(digits_of(w, "inband", 3) == "12#", "DTMF events: %r" % w.snapshot())
    finally:
        w.close()


def test_tones_are_not_digits_when_telephone_event_is_negotiated(z):
    """dtmfmode=auto with telephone-event: tones in the audio are only audio (music, a voice
    saying "five" ...); the keys come as RFC 4733 events."""
    rtp = udp_socket()

    def send(media):
        tone = dtmf_ulaw("5", 200)
        for i in range(10):  # bounded: 10 audio packets, then one RFC 4733 '#'
            rtp.sendto(rtp_packet(0, 10 + i, 160 * i, 0x5555, tone[160 * i:160 * (i + 1)]), media)
            time.sleep(0.02)
        for i, end in enumerate([False, False, True, True, True]):
            payload = struct.pack("!BBH", 11, (0x80 if end else 0) | 10, 160 * (i + 1))
            rtp.sendto(rtp_packet(101, 20 + i, 1600, 0x5555, payload, marker=(i == 0)), media)
            time.sleep(0.02)

    w = EventWatcher(z, ["DTMF"])
    try:
        r = run_call(z, "", TE_FORMATS, rtp=rtp, during=send)
        check(r.ok, r.describe() + z.log_text()[-2000:])
        w.wait(lambda ev: len(ev) >= 1)
        time.sleep(0.3)
        events = w.snapshot()
        check([(e["digit"], e["source"]) for e in events] == [("#", "rfc4733")],
              "only the RFC 4733 '#': %r" % events)
    finally:
        w.close()


def test_dtmfmode_inband_declines_telephone_event(z):
    """Endpoint 104 says dtmfmode=inband: the caller offers telephone-event, zvon's answer
    leaves it out and the keys are heard as tones."""
    rtp = udp_socket()
    answer = {}

    def send_tones(media):
        frames = []
        for key in "7#":
            tone = dtmf_ulaw(key, 100)
            frames += [tone[i:i + 160] for i in range(0, len(tone), 160)] + [bytes([0xFF]) * 160] * 5
        for i, payload in enumerate(frames):  # bounded: 20 packets
            rtp.sendto(rtp_packet(0, 3000 + i, 160 * i, 0x6666, payload), media)
            time.sleep(0.02)

    w = EventWatcher(z, ["DTMF"])
    try:
        r = run_call(z, "", TE_FORMATS, rtp=rtp, during=send_tones, caller="104")
        check(r.ok, r.describe() + z.log_text()[-2000:])
        check(digits_of(w, "inband", 2) == "7#", "DTMF events: %r" % w.snapshot())
        sdp = r.messages.split("SIP/2.0 200 OK")[1] if "SIP/2.0 200 OK" in r.messages else ""
        check("m=audio" in sdp and "telephone-event" not in sdp.split("-----")[0],
              "zvon's answer offers no telephone-event: %r" % sdp[:600])
    finally:
        w.close()


def test_info_outside_a_call_is_481(z):
    with SipClient(z.sip_port) as c:
        c.request("INFO", "sip:101@127.0.0.1:%d" % z.sip_port,
                  ["Content-Type: application/dtmf-relay"], body="")
        r = c.recv_final()
        check(r is not None and r.status == 481, "INFO without a dialog: %r" % r)
    status, out = z.rx("core show version")
    check(status == 0, "still serving: " + out)


def test_bad_dtmfmode_or_nat_is_reported(z):
    good = z.read_etc("sip.conf")
    try:
        for key, value in (("dtmfmode", "tones"), ("nat", "maybe")):
            z.write_etc("sip.conf", good + "\n[105]\ntype = endpoint\nsecret = x\n%s = %s\n" % (key, value))
            status, out = z.rx("module reload chan_sip")
            check(status == 1 and re.search(r"sip\.conf:\d+", out) and key in out,
                  "%s = %s refused with file:line: %s" % (key, value, out))
    finally:
        z.write_etc("sip.conf", good)
        status, out = z.rx("module reload chan_sip")
        check(status == 0, out)


def test_nat_contact_fixup_for_in_dialog_requests(z):
    dead_port = free_port("udp")  # nobody listens: where a phone behind NAT says it is
    r = run_call(z, "", TE_FORMATS, service="701", contact_port=dead_port)
    check(r.ok, "zvon's BYE reached the caller at its source port: " + r.describe() +
          z.log_text()[-2000:])
    check(z.wait_log(r"\(nat\): in-dialog requests go to sip:127\.0\.0\.1:\d+;transport=udp"),
          "the log says where in-dialog requests go")


if __name__ == "__main__":
    sip_conf = open(os.path.join(os.environ.get("ZVON_SOURCE_DIR", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")), "etc", "sip.conf")).read()
    sip_conf += '\n[104](phone)\nsecret = 104secret\ncallerid = "Dave" <104>\ndtmfmode = inband\n'
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, etc={"sip.conf": sip_conf},
              zvon_general={"log_level": "verbose"}) as zvon:
        run_tests([
            test_rfc4733_pcaps_from_sip_tester,
            test_sip_info_digits,
            test_inband_tones_in_g711,
            test_tones_are_not_digits_when_telephone_event_is_negotiated,
            test_dtmfmode_inband_declines_telephone_event,
            test_info_outside_a_call_is_481,
            test_bad_dtmfmode_or_nat_is_reported,
            test_nat_contact_fixup_for_in_dialog_requests,
        ], zvon)
