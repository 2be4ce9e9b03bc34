"""Jittered, reordered RTP into a transcoded call, through zvon's adaptive jitter buffer.

A sipp caller offering only PCMU calls baresip offering only Opus, so zvon decodes what the
caller sends. Python streams the caller's 1 kHz tone into zvon with every packet delayed by
a random 0-90 ms (so many arrive out of order) and a few sent twice. The Opus phone records
what it decodes: the tone must be there, loud, with fewer holes than the same stream makes
with the jitter buffer switched off (rtp.conf jbenable = no), and `core show channel` of
the caller's leg, and its hang-up event, must count the reordered, duplicated and late
packets. The call is recorded too (MixMonitor, the caller's side alone): the recorder decodes
behind the same kind of buffer, so its file must be as whole as what the Opus phone heard."""
import math
import os
import random
import re
import time

from dtmf_test_common import EventWatcher, lin2ulaw, rtp_packet, udp_socket
from test_baresip_call import Phones, channel_count, channels, wait_registered
from audio_test_common import loud_part, read_any_wav, rms, tone_fraction
from test_baresip_transcoding import recording, start_phone
from test_dtmf import run_call
from zvon_harness import Zvon, check, run_tests, zvon_stops_cleanly

DIALPLAN = """
[internal]
exten => _1XX,1,MixMonitor(jb/call-${UNIQUEID}.wav,r(jb/caller-${UNIQUEID}.wav))
 same => n,Dial(SIP/${EXTEN},20)
 same => n,Hangup()
"""
TONE_HZ = 1000
PACKETS = 200  # 4 s of 20 ms packets
MAX_DELAY_MS = 90


def tone_payloads():
    out = []
    for p in range(PACKETS):
        out.append(bytes(lin2ulaw(int(12000 * math.sin(2 * math.pi * TONE_HZ * (p * 160 + i) / 8000)))
                         for i in range(160)))
    return out


def send_jittered(media, seed=5):
    """The tone in 20 ms packets, each delayed by a random 0..MAX_DELAY_MS, every 20th twice."""
    rng = random.Random(seed)
    payloads = tone_payloads()
    schedule = []
    for p in range(PACKETS):
        at = p * 0.020 + rng.uniform(0, MAX_DELAY_MS / 1000.0)
        schedule.append((at, p))
        if p % 20 == 7:
            schedule.append((at + 0.003, p))
    schedule.sort()
    reordered = sum(1 for i in range(1, len(schedule)) if schedule[i][1] < schedule[i - 1][1])
    sock = udp_socket()
    start = time.monotonic()
    for at, p in schedule:
        delay = start + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.sendto(rtp_packet(0, 4000 + p, 160 * p, 0x7777, payloads[p], marker=(p == 0)), media)
    sock.close()
    return reordered


def holes(samples, rate):
    """10 ms windows of the tone's stretch that are nearly silent (a dropped or missing packet)."""
    heard = loud_part(samples, rate)[: int(3.6 * rate)]
    window = rate // 100
    levels = [rms(heard[i:i + window]) for i in range(0, len(heard) - window, window)]
    if not levels:
        return 0, heard
    typical = sorted(levels)[len(levels) // 2]
    return sum(1 for v in levels if v < 0.3 * typical), heard


def jittered_call(z):
    """One call; returns (holes, tone share, caller leg's `core show channel`)."""
    stats = {}
    watcher = EventWatcher(z, ["ChannelHangup"])
    with Phones(z) as phones:
        callee = start_phone(phones, "102", "opus", 1500, answer="auto", source_seconds=15)
        wait_registered(z, "102")

        def during(media):
            check(z.wait_for(lambda: channel_count(z) == 2, timeout=10), "both legs: " + channels(z))
            stats["reordered_sent"] = send_jittered(media)
            time.sleep(0.4)  # the buffer plays out its last packets
            listing = channels(z)
            name = re.search(r"(SIP/101-\S+)", listing)
            stats["show"] = z.rx("core show channel " + name.group(1))[1] if name else listing
            callee.command("hangup")

        r = run_call(z, "", ("0", ""), service="102", during=during)
        check(r.ok, "the call, ended by the callee: " + r.describe() + z.log_text()[-3000:])
        callee.wait_event("CALL_CLOSED")
        check(z.wait_for(lambda: channel_count(z) == 0, timeout=8), "channels left: " + channels(z))
        rate, samples = recording(callee)
    hangups = watcher.wait(lambda ev: any(e.get("channel", "").startswith("SIP/101") for e in ev))
    watcher.close()
    stats["hangup"] = next((e for e in hangups if e.get("channel", "").startswith("SIP/101")), {})
    count, heard = holes(samples, rate)
    check(len(heard) >= 3 * rate, "only %.2f s of the tone reached the Opus phone" % (len(heard) / rate))
    folder = os.path.join(z.dir, "var", "recordings", "jb")
    said = [f for f in os.listdir(folder) if f.startswith("caller-")] if os.path.isdir(folder) else []
    check(len(said) == 1, "one recording of the caller's side in %s: %r" % (folder, said))
    recorded_rate, recorded = read_any_wav(os.path.join(folder, said[0]))
    stats["recording_holes"], recorded_tone = holes(recorded, recorded_rate)
    check(len(recorded_tone) >= 3 * recorded_rate,
          "only %.2f s of the tone in the recording" % (len(recorded_tone) / recorded_rate))
    middle = heard[rate // 4: rate // 4 + rate]
    return count, tone_fraction(middle, TONE_HZ, rate), rms(middle), stats


def field(show, name):
    m = re.search(r"%s:\s+(-?\d+)" % name, show)
    return int(m.group(1)) if m else None


def test_jitter_buffer_puts_the_stream_back_in_order():
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, zvon_general={"log_level": "verbose"}) as z:
        with_jb, share, level, stats = jittered_call(z)
        zvon_stops_cleanly(z)
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, rtp_general={"jbenable": "no"},
              zvon_general={"log_level": "verbose"}) as z:
        without_jb, _, _, plain = jittered_call(z)
        zvon_stops_cleanly(z)
    show = stats["show"]
    print("holes in the tone: %d with the jitter buffer, %d without; tone share %.2f, rms %.0f; "
          "%d packets sent out of order" % (with_jb, without_jb, share, level, stats["reordered_sent"]))
    print("holes in the recording of the caller: %d with the jitter buffer, %d without"
          % (stats["recording_holes"], plain["recording_holes"]))
    print(show)
    check(share > 0.8, "with the buffer, 1 kHz is only %.2f of the power" % share)
    check(level > 2000, "with the buffer, the tone is too quiet (rms %.0f)" % level)
    check(with_jb <= 3, "with the buffer the tone has %d holes of 10 ms" % with_jb)
    check(with_jb < without_jb, "the buffer should leave fewer holes (%d) than none (%d)" % (with_jb, without_jb))
    check(stats["recording_holes"] <= 3,
          "with the buffer the recording has %d holes of 10 ms" % stats["recording_holes"])
    check(stats["recording_holes"] < plain["recording_holes"],
          "the recording should have fewer holes behind the buffer (%d) than without (%d)"
          % (stats["recording_holes"], plain["recording_holes"]))
    check((field(show, "jb_reordered") or 0) > 10, "core show channel counts reordered packets:\n" + show)
    check((field(show, "jb_duplicates") or 0) >= 5, "core show channel counts duplicates:\n" + show)
    check(field(show, "jb_late") is not None and field(show, "jb_delay_ms") is not None,
          "core show channel shows late packets and the delay:\n" + show)
    hangup = stats["hangup"]
    check(int(hangup.get("rtp_jb_reordered", "0")) > 10 and "rtp_jb_late" in hangup,
          "the caller's hang-up event carries the jitter buffer's counts: %r" % hangup)
    check(field(plain["show"], "jb_reordered") is None,
          "with jbenable = no nothing is buffered:\n" + plain["show"])


if __name__ == "__main__":
    run_tests([test_jitter_buffer_puts_the_stream_back_in_order])
