"""In-band DTMF costs a decode and SpanDSP's detector on every packet, so zvon looks for tones
only while something on the channel reads keys (a menu, Read, Record, Echo); a call that
is only relayed runs no detector and the tones go through in its audio untouched.

Callers here are sipp (101) offering PCMU without telephone-event (dtmfmode = auto: keys
come as tones), their RTP sent by the test; the callee is a sipp UAS (102). Each side of the
rule is seen in zvon's own counter of frames the detector examined, `inband_dtmf_frames`
in `core show channel` and the hang-up event (rtp_inband_dtmf_frames):
- a menu answered and listening at once hears a key sent with the first packets after the
  200 OK, reaches the extension the key names, which dials 102; in the bridge that follows
  the counter stops and a tone is relayed to 102 byte for byte without becoming a digit;
- a menu that starts listening after Wait(2) has run no detector during the second of audio
  before it, and hears the key that comes after;
- a call dialled straight through ends with the counter at 0 on both legs."""
import os
import re
import tempfile
import time

from dtmf_test_common import (EventWatcher, available, drain, dtmf_ulaw, rtp_packet, udp_socket,
                              wait_file)
from sip_test_common import SECRETS, fill_template
from test_dtmf import G711_ONLY
from test_hold import register_uas
from zvon_harness import Zvon, check, free_port, run_sipp, run_tests, wait_port_taken

DIALPLAN = """
[internal]
; Listening from the answer: Background takes the first key.
exten => 720,1,Answer()
 same => n,Background(ivr-main-menu)
 same => n,WaitExten(5)
; Listening only after a second in which nothing reads keys.
exten => 721,1,Answer()
 same => n,Wait(2)
 same => n,WaitExten(5)
exten => 3,1,Dial(SIP/102,20)
 same => n,Hangup()
; Straight through: nothing reads keys.
exten => 722,1,Dial(SIP/102,20)
 same => n,Hangup()
"""

SILENCE = bytes([0xFF]) * 160


def tone_frames(key, ms=100):
    tone = dtmf_ulaw(key, ms)
    return [tone[i:i + 160] for i in range(0, len(tone), 160)]


class Stream:
    """The caller's RTP: 20 ms PCMU packets to zvon, one continuous stream."""

    def __init__(self, sock, dest):
        self.sock, self.dest = sock, dest
        self.seq, self.ts = 100, 0

    def send(self, frames):
        start = time.monotonic()
        for i, payload in enumerate(frames):  # bounded by len(frames), 20 ms apart
            self.sock.sendto(rtp_packet(0, self.seq, self.ts, 0x7777, payload), self.dest)
            self.seq += 1
            self.ts += 160
            time.sleep(max(0, start + 0.02 * (i + 1) - time.monotonic()))


class BridgedCall:
    """101 calls `service` (hanging up after `hold_ms`), 102 answers when it is dialled."""

    def __init__(self, z, service, hold_ms=7000):
        self.z = z
        self.a, self.b = udp_socket(), udp_socket()
        work = tempfile.mkdtemp(prefix="inband-", dir=z.dir)
        self.uac_info, self.uas_info = os.path.join(work, "uac"), os.path.join(work, "uas")
        uas_port = free_port("udp")
        register_uas(z, uas_port)
        self.uas = run_sipp("uas_answer.xml", None, local_port=uas_port, timeout=hold_ms / 1000 + 20,
                            background=True, work_dir=z.dir,
                            extra_keys={"rtp_port": self.b.getsockname()[1], "info_file": self.uas_info})
        check(wait_port_taken(uas_port), "the UAS sipp did not start")
        self.uac = run_sipp(fill_template("uac_menu.xml.in", HOLD_MS=hold_ms, FORMATS=G711_ONLY[0],
                                          RTPMAP=G711_ONLY[1]),
                            "127.0.0.1:%d" % z.sip_port, user="101", password=SECRETS["101"],
                            service=service, timeout=hold_ms / 1000 + 20, background=True,
                            work_dir=z.dir,
                            extra_keys={"caller": "101", "rtp_port": self.a.getsockname()[1],
                                        "info_file": self.uac_info})
        dest = wait_file(self.uac_info)
        if dest is None:
            self.finish()
            raise AssertionError("the call to %s was not answered:\n%s" % (service, self.z.log_text()[-3000:]))
        self.stream = Stream(self.a, dest)

    def wait_bridged(self):
        callee = wait_file(self.uas_info)
        check(callee is not None, "102 was dialled: " + self.z.log_text()[-3000:])
        return callee

    def finish(self):
        results = self.uac.finish(), self.uas.finish()
        self.a.close()
        self.b.close()
        return results


def caller_channel(z):
    names = z.wait_for(lambda: re.findall(r"(SIP/101-[0-9a-f]+)", z.rx("core show channels")[1]))
    check(names, "the caller's channel is listed")
    return names[-1]


def inband_frames(z, channel):
    status, out = z.rx("core show channel " + channel)
    m = re.search(r"inband_dtmf_frames:\s+(\d+)", out)
    check(status == 0 and m, "core show channel shows inband_dtmf_frames: " + out)
    received = re.search(r"packets_received:\s+(\d+)", out)
    return int(m.group(1)), int(received.group(1)) if received else 0


def heard(watcher, count, timeout=5.0):
    events = watcher.wait(lambda ev: len([e for e in ev if e["type"] == "DTMF"]) >= count, timeout)
    return [(e["digit"], e["source"]) for e in events if e["type"] == "DTMF"]


def check_relayed_without_detector(z, call, channel, watcher, callee):
    """In the bridge: the caller's detector count stands still while a tone is relayed to
    the callee untouched, and no digit is published for it."""
    time.sleep(0.3)  # the menu's detector stops the loop turn after the menu ends
    before, got_before = inband_frames(z, channel)
    drain(call.b)
    tone = tone_frames("5", 120)
    call.stream.send([SILENCE] * 10 + tone + [SILENCE] * 15)
    time.sleep(0.2)
    after, got_after = inband_frames(z, channel)
    check(got_after - got_before >= 25, "zvon received the caller's audio in the bridge (%d packets)"
          % (got_after - got_before))
    check(after == before, "no in-band detection while only relayed: %d frames, then %d" % (before, after))
    relayed = [p["payload"] for _, p in available(call.b) if p["pt"] == 0]
    check(all(frame in relayed for frame in tone),
          "the tone reached 102 byte for byte (%d of %d tone frames among %d packets)"
          % (sum(frame in relayed for frame in tone), len(tone), len(relayed)))
    check(("5", "inband") not in heard(watcher, 2, timeout=0.5), "the relayed tone is no digit: %r"
          % watcher.snapshot())
    return after


def test_menu_hears_a_key_right_after_answer_then_relays(z):
    w = EventWatcher(z, ["DTMF", "ChannelHangup"])
    call = BridgedCall(z, "720")
    try:
        # The key at once: Background listens from the answer, before its prompt.
        call.stream.send(tone_frames("3") + [SILENCE] * 10)
        check(heard(w, 1) == [("3", "inband")], "the menu heard '3' in-band: %r" % w.snapshot())
        callee = call.wait_bridged()
        channel = caller_channel(z)
        frames = check_relayed_without_detector(z, call, channel, w, callee)
        # It stops soon after the key: the menu goes on to Dial as soon as it has it.
        check(frames > 0, "the detector ran while the menu listened (%d frames)" % frames)
    finally:
        uac, uas = call.finish()
        w.close()
    check(uac.ok and uas.ok, "both calls ended cleanly: %s / %s" % (uac.describe(), uas.describe()))


def test_menu_starts_listening_mid_call(z):
    w = EventWatcher(z, ["DTMF"])
    call = BridgedCall(z, "721")
    try:
        channel = caller_channel(z)
        call.stream.send([SILENCE] * 15)  # 0.3 s inside Wait(2)
        frames, got = inband_frames(z, channel)
        check(got >= 10 and frames == 0, "no detector while Wait() runs: %d frames of %d packets"
              % (frames, got))
        for _ in range(100):  # bounded: 10 s of audio at most, until WaitExten runs
            if re.search(r"Executing \[721@internal:3\] WaitExten", z.log_text()):
                break
            call.stream.send([SILENCE] * 5)
        call.stream.send([SILENCE] * 3 + tone_frames("3") + [SILENCE] * 10)
        check(heard(w, 1) == [("3", "inband")], "WaitExten heard '3' in-band: %r" % w.snapshot())
        call.wait_bridged()
    finally:
        uac, uas = call.finish()
        w.close()
    check(uac.ok and uas.ok, "both calls ended cleanly: %s / %s" % (uac.describe(), uas.describe()))


def test_relayed_call_runs_no_detector(z):
    w = EventWatcher(z, ["DTMF", "ChannelHangup"])
    call = BridgedCall(z, "722")
    try:
        callee = call.wait_bridged()
        check_relayed_without_detector(z, call, caller_channel(z), w, callee)
    finally:
        uac, uas = call.finish()
    try:
        check(uac.ok and uas.ok, "both calls ended cleanly: %s / %s" % (uac.describe(), uas.describe()))
        hangups = w.wait(lambda ev: len([e for e in ev if e["type"] == "ChannelHangup"]) >= 2)
        hangups = [e for e in hangups if e["type"] == "ChannelHangup"]
        check(len(hangups) == 2, "two hang-ups: %r" % hangups)
        for e in hangups:
            check(e.get("rtp_inband_dtmf_frames") == "0", "no detector ran on %s: %r" % (e["channel"], e))
        caller = [e for e in hangups if e["channel"].startswith("SIP/101-")]
        check(caller and int(caller[0].get("rtp_packets_received", "0")) >= 25,
              "the caller's audio reached zvon: %r" % caller)
    finally:
        w.close()


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, zvon_general={"log_level": "verbose"}) as zvon:
        run_tests([
            test_menu_hears_a_key_right_after_answer_then_relays,
            test_menu_starts_listening_mid_call,
            test_relayed_call_runs_no_detector,
        ], zvon)
