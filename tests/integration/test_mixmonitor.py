"""MixMonitor(): the virtual PBX's call recording, heard from real SIP peers.

A sipp caller (101) dials through zvon to a sipp callee (102): each side's RTP comes from the
test, a different tone each. The caller's dialplan starts MixMonitor before Dial, with the
two directions also in files of their own: the mixed recording holds both tones, each leg's
file only its own, and the call's CDR row in PostgreSQL names the mixed file. A second call
records the prompts the dialplan plays until StopMixMonitor(), and nothing after it; the
stereo option puts each direction in its own channel."""
import atexit
import os
import shutil
import tempfile
import threading
import time

from media_file_common import read_sound, sound_info, sox
from pgsql_test_common import PrivatePostgres
from sip_test_common import (SECRETS, RtpCollector, RtpSender, g711_tone, uac_media_scenario,
                             udp_socket, wait_file)
from audio_test_common import loud_part, tone_fraction
from test_sip_call import register_uas
from zvon_harness import Zvon, check, free_port, run_sipp, run_tests, wait_port_taken

POSTGRES = None  # the private PostgreSQL of the run, started in __main__

CALLER_HZ, CALLEE_HZ, PROMPT_HZ, LATE_HZ = 700, 1300, 500, 1500
PROMPTS = tempfile.mkdtemp(prefix="zvon-mixmonitor-")
atexit.register(shutil.rmtree, PROMPTS, True)
for hz in (PROMPT_HZ, LATE_HZ):
    sox("-R", "-n", "-r", "8000", "-c", "1", "-b", "16", os.path.join(PROMPTS, "p%d.wav" % hz),
        "synth", "0.8", "sine", str(hz), "vol", "0.5")

DIALPLAN = """
[internal]
exten => 7300,1,MixMonitor(mix/call-${UNIQUEID}.wav,r(mix/said-${UNIQUEID}.flac)t(mix/heard-${UNIQUEID}.flac))
 same => n,Log(NOTICE,MIXMONITOR_FILENAME=${MIXMONITOR_FILENAME})
 same => n,Dial(SIP/102,10)
 same => n,Hangup()
exten => 7301,1,Answer()
 same => n,MixMonitor(mix/prompts.wav,D)
 same => n,Playback(%(dir)s/p%(prompt)d)
 same => n,StopMixMonitor()
 same => n,Playback(%(dir)s/p%(late)d)
 same => n,Hangup()
""" % {"dir": PROMPTS, "prompt": PROMPT_HZ, "late": LATE_HZ}


def share_of(samples, rate, freq):
    """The share of `freq` in a second of the recording, from a quarter second after the first
    loud part (the recording starts before Dial, while the callee rings)."""
    loud = loud_part(samples, rate)
    check(len(loud) >= 1.5 * rate, "only %.2f s of loud audio" % (len(loud) / rate))
    return tone_fraction(loud[rate // 4: rate // 4 + rate], freq, rate)


def test_call_through_dial_is_recorded_with_both_sides(z):
    pg = POSTGRES
    a, b = udp_socket(), udp_socket()
    work = tempfile.mkdtemp(dir=z.dir)
    uac_info, uas_info = os.path.join(work, "uac"), os.path.join(work, "uas")
    uas_port = free_port("udp")
    register_uas(z, uas_port)
    drains = [RtpCollector(a), RtpCollector(b)]
    uas = run_sipp("uas_answer.xml", None, local_port=uas_port, timeout=30, background=True,
                   extra_keys={"rtp_port": b.getsockname()[1], "info_file": uas_info}, work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    uac = run_sipp(uac_media_scenario("PCMU", hangup_after_ms=3500), "127.0.0.1:%d" % z.sip_port,
                   user="101", password=SECRETS["101"], service="7300", timeout=30, background=True,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": a.getsockname()[1],
                                                "info_file": uac_info})
    try:
        caller_side, callee_side = wait_file(uac_info), wait_file(uas_info)
        check(caller_side and callee_side, "the call was not set up:\n" + z.log_text()[-3000:])
        talkers = [threading.Thread(target=RtpSender(a, caller_side, "PCMU").audio,
                                    args=(g711_tone("PCMU", CALLER_HZ, 3.0, amplitude=0.3),), daemon=True),
                   threading.Thread(target=RtpSender(b, callee_side, "PCMU", ssrc=0xca11ee).audio,
                                    args=(g711_tone("PCMU", CALLEE_HZ, 3.0, amplitude=0.3),), daemon=True)]
        for t in talkers:
            t.start()
        ruac, ruas = uac.finish(), uas.finish()
        for t in talkers:
            t.join(timeout=5)
    finally:
        for d in drains:
            d.stop()
        a.close()
        b.close()
    check(ruac.ok, "caller: " + ruac.describe() + z.log_text()[-2000:])
    check(ruas.ok, "callee: " + ruas.describe())

    log = z.log_text()
    mixed = log.split("MIXMONITOR_FILENAME=", 1)[1].split()[0] if "MIXMONITOR_FILENAME=" in log else ""
    check(mixed.endswith(".wav") and os.path.dirname(mixed) == os.path.join(z.dir, "var", "recordings", "mix"),
          "MIXMONITOR_FILENAME: %r" % mixed)
    uid = os.path.basename(mixed)[len("call-"):-len(".wav")]
    time.sleep(0.5)  # the threadpool closes the files after the hang-up
    rate, samples = read_sound(mixed)
    check(rate == 8000 and len(samples) / rate >= 2.5, "%s: %d Hz, %.2f s" % (mixed, rate, len(samples) / rate))
    both = (share_of(samples, rate, CALLER_HZ), share_of(samples, rate, CALLEE_HZ))
    check(min(both) > 0.3 and sum(both) > 0.85, "the mixed recording should hold %d and %d Hz: %.2f, %.2f"
          % (CALLER_HZ, CALLEE_HZ, both[0], both[1]))
    for name, own, other in (("said", CALLER_HZ, CALLEE_HZ), ("heard", CALLEE_HZ, CALLER_HZ)):
        path = os.path.join(os.path.dirname(mixed), "%s-%s.flac" % (name, uid))
        rate, leg = read_sound(path)
        check(share_of(leg, rate, own) > 0.9 and share_of(leg, rate, other) < 0.05,
              "%s: %d Hz %.2f, %d Hz %.2f" % (path, own, share_of(leg, rate, own), other,
                                               share_of(leg, rate, other)))

    check(z.wait_for(lambda: pg.scalar("SELECT count(*) FROM cdr WHERE id = '%s'" % uid) == "1",
                     timeout=20, interval=0.3), "no CDR for %s" % uid)
    rows = pg.psql("SELECT recording, disposition, dstchannel FROM cdr WHERE id = '%s'" % uid)
    check(rows[0][0] == mixed and rows[0][1] == "ANSWERED" and rows[0][2].startswith("SIP/102-"),
          "the CDR should name the recording: %r" % rows)


def test_prompts_are_recorded_until_stop(z):
    sock = udp_socket()
    info = os.path.join(tempfile.mkdtemp(dir=z.dir), "uac")
    drain = RtpCollector(sock)
    uac = run_sipp(uac_media_scenario("PCMU"), "127.0.0.1:%d" % z.sip_port, user="101",
                   password=SECRETS["101"], service="7301", timeout=30, background=True,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": sock.getsockname()[1],
                                                "info_file": info})
    try:
        dest = wait_file(info)
        check(dest, "the call was not set up:\n" + z.log_text()[-3000:])
        RtpSender(sock, dest, "PCMU").audio(g711_tone("PCMU", CALLER_HZ, 1.0))
        r = uac.finish()
    finally:
        drain.stop()
        sock.close()
    check(r.ok, r.describe())
    path = os.path.join(z.dir, "var", "recordings", "mix", "prompts.wav")
    time.sleep(0.5)
    check(sound_info(path).get("Channels") == "2", sound_info(path))
    rate, mono = read_sound(path)
    check(0.6 <= len(mono) / rate <= 1.4, "%s: %.2f s, expected the first prompt only" % (path, len(mono) / rate))
    heard = tone_fraction(mono[rate // 10: rate // 10 + rate // 2], PROMPT_HZ, rate)
    late = tone_fraction(mono, LATE_HZ, rate)
    check(heard > 0.3 and late < 0.02, "prompt %d Hz %.2f, after the stop %d Hz %.2f"
          % (PROMPT_HZ, heard, LATE_HZ, late))


if __name__ == "__main__":
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}) as zvon:
        POSTGRES = PrivatePostgres(os.path.join(zvon.dir, "var"))
        with POSTGRES:
            zvon.start()
            run_tests([  # ends by stopping zvon cleanly (no sanitizer report)
                test_call_through_dial_is_recorded_with_both_sides,
                test_prompts_are_recorded_until_stop,
            ], zvon)
