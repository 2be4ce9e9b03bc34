"""Playback of every sound format on every codec, heard by real peers.

The test writes a tone in each format zvon plays (WAV PCM at 8, 16 and 48 kHz, WAV μ-law and
A-law, FLAC, Ogg/Opus), each at its own frequency, and names them without their extension in
one Playback. A sipp caller offering only PCMU, then only PCMA, receives the RTP in the test,
and baresip phones offering only G.722 and only Opus record what they decode; a Goertzel
filter checks that every tone arrives, in order. A corrupt file and a foreign one give
PLAYBACKSTATUS=FAILED and a log line naming the file, and the call goes on. Early media: a
sipp caller that insists on a 183 with SDP hears a prompt played with Progress() and
Playback(...,noanswer) before the call is answered, then one after."""
import atexit
import os
import re
import shutil
import tempfile

from media_file_common import check_tone_sequence, write_tones
from sip_test_common import (SECRETS, RtpCollector, g711_samples, uac_media_scenario, udp_socket,
                             wait_file)
from test_baresip_transcoding import call_until_zvon_hangs_up
from zvon_harness import Zvon, check, run_sipp, run_tests

SECONDS = 0.6  # per tone
TONES_DIR = tempfile.mkdtemp(prefix="zvon-tones-")
atexit.register(shutil.rmtree, TONES_DIR, True)
TONES = write_tones(TONES_DIR, SECONDS)
with open(os.path.join(TONES_DIR, "corrupt.wav"), "wb") as f:
    f.write(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\xff" * 40)
with open(os.path.join(TONES_DIR, "notes.flac"), "w") as f:
    f.write("a text file in disguise")

DIALPLAN = """
[internal]
exten => 7100,1,Answer()
 same => n,Playback(%(files)s)
 same => n,Log(NOTICE,formats PLAYBACKSTATUS=${PLAYBACKSTATUS})
 same => n,Playback(%(dir)s/corrupt)
 same => n,Log(NOTICE,corrupt PLAYBACKSTATUS=${PLAYBACKSTATUS})
 same => n,Playback(%(dir)s/notes.flac)
 same => n,Log(NOTICE,foreign PLAYBACKSTATUS=${PLAYBACKSTATUS})
 same => n,Hangup()
exten => 7101,1,Progress()
 same => n,Playback(%(dir)s/tone-%(before)s,noanswer)
 same => n,Answer()
 same => n,Playback(%(dir)s/tone-%(after)s)
 same => n,Hangup()
""" % {"before": TONES[0][0], "after": TONES[1][0], "files": "&".join("%s/tone-%s" % (TONES_DIR, name) for name, _ in TONES), "dir": TONES_DIR}


def check_log(z):
    log = z.log_text()
    check("formats PLAYBACKSTATUS=SUCCESS" in log, "the tones did not all play:\n" + log[-3000:])
    for name in ("corrupt.wav", "notes.flac"):
        check(re.search(r"cannot play .*%s" % re.escape(name), log),
              "no error naming %s in the log:\n%s" % (name, log[-3000:]))
    check("corrupt PLAYBACKSTATUS=FAILED" in log and "foreign PLAYBACKSTATUS=FAILED" in log,
          "a bad file should give PLAYBACKSTATUS=FAILED:\n" + log[-3000:])


def sipp_hears(z, codec, service, early_media=False):
    """The G.711 samples a sipp caller offering only `codec` receives from `service`."""
    sock = udp_socket()
    info = os.path.join(tempfile.mkdtemp(dir=z.dir), "uac")
    collector = RtpCollector(sock)
    uac = run_sipp(uac_media_scenario(codec, early_media=early_media), "127.0.0.1:%d" % z.sip_port,
                   user="101", password=SECRETS["101"], service=service, timeout=40, background=True,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": sock.getsockname()[1],
                                                "info_file": info})
    try:
        check(wait_file(info), "the call was not set up:\n" + z.log_text()[-3000:])
        result = uac.finish()
    finally:
        packets = collector.stop()
        sock.close()
    check(result.ok, "sipp %s: %s" % (codec, result.describe()))
    return g711_samples(packets, codec)


def play_to_sipp(z, codec):
    check_tone_sequence(sipp_hears(z, codec, "7100"), 8000, TONES, SECONDS * 0.6, "the %s caller" % codec)
    check_log(z)


def test_early_media(z):
    """The 183 carries SDP (sipp fails the call otherwise) and the first tone, played before
    Answer(), reaches the caller, then the second."""
    samples = sipp_hears(z, "PCMU", "7101", early_media=True)
    check_tone_sequence(samples, 8000, TONES[:2], SECONDS * 0.6, "the caller, early media first")


def test_every_format_on_pcmu(z):
    play_to_sipp(z, "PCMU")


def test_every_format_on_pcma(z):
    play_to_sipp(z, "PCMA")


def play_to_baresip(z, codec):
    rate, samples = call_until_zvon_hangs_up(z, codec, "7100", 300, timeout=30)
    check_tone_sequence(samples, rate, TONES, SECONDS * 0.6, "the %s caller" % codec)
    check_log(z)


def test_every_format_on_g722(z):
    play_to_baresip(z, "g722")


def test_every_format_on_opus(z):
    play_to_baresip(z, "opus")


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}) as zvon:
        run_tests([
            test_every_format_on_pcmu,
            test_every_format_on_pcma,
            test_early_media,
            test_every_format_on_g722,
            test_every_format_on_opus,
        ], zvon)
