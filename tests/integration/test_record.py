"""Record(): a sipp caller sends a tone from the test (G.711 RTP) and zvon records it.

The recordings are read back with sox and opusdec, not with the libsndfile that wrote them,
and a Goertzel filter checks their frequency and length. Each call ends another way: '#' as
an RFC 4733 event (WAV), the caller hanging up mid-recording (FLAC: still complete and
valid), two seconds of silence (Ogg/Opus, the silence left out), the maximum duration (WAV
A-law on a PCMA call); baresip phones speaking only Opus or G.722 are recorded at 48 and 16 kHz.
RECORD_STATUS and RECORDED_FILE reach the dialplan; a bad file name
or a place it cannot write gives RECORD_STATUS=ERROR, and the call goes on."""
import os
import re
import tempfile
import threading
import time

from media_file_common import read_sound, sound_info
from sip_test_common import (SECRETS, RtpCollector, RtpSender, g711_tone, uac_media_scenario,
                             udp_socket, wait_file)
from audio_test_common import rms, tone_fraction
from test_baresip_transcoding import call_until_zvon_hangs_up
from zvon_harness import Zvon, check, run_sipp, run_tests

RECORDS = {
    "7201": "Record(rec/hash.wav,0,20,q)",
    "7202": "Record(rec/hangup.flac,0,0,q)",
    "7203": "Record(rec/quiet.opus,2,0,q)",
    "7204": "Record(rec/max.alaw.wav,0,2)",
    "7205": "Record(rec/bad.mp3,0,2,q)",
    "7206": "Record(/proc/zvon-nowhere/rec.wav,0,10,q)",
    "7207": "Record(rec/opus-call.wav,0,2,q)",
    "7208": "Record(rec/g722-call.flac,0,2,q)",
}
DIALPLAN = "[internal]\n" + "".join("""exten => %s,1,Answer()
 same => n,%s
 same => n,Log(NOTICE,exten ${EXTEN} RECORD_STATUS=${RECORD_STATUS} RECORDED_FILE=${RECORDED_FILE})
 same => n,Wait(0.5)
 same => n,Hangup()
""" % item for item in RECORDS.items()) + """exten => h,1,Log(NOTICE,hangup ${EXTEN} RECORD_STATUS=${RECORD_STATUS})
"""


def call(z, exten, codec, script, hangup_after_ms=None):
    """Calls `exten` offering `codec`; `script(sender)` plays the caller's part in a thread
    once the call is up. Returns the sipp result."""
    sock = udp_socket()
    info = os.path.join(tempfile.mkdtemp(dir=z.dir), "uac")
    collector = RtpCollector(sock)  # drains what zvon sends (the beep)
    uac = run_sipp(uac_media_scenario(codec, hangup_after_ms), "127.0.0.1:%d" % z.sip_port,
                   user="101", password=SECRETS["101"], service=exten, timeout=40, background=True,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": sock.getsockname()[1],
                                                "info_file": info})
    try:
        dest = wait_file(info)
        check(dest, "the call to %s was not set up:\n%s" % (exten, z.log_text()[-3000:]))
        worker = threading.Thread(target=script, args=(RtpSender(sock, dest, codec),), daemon=True)
        worker.start()
        result = uac.finish()
        worker.join(timeout=10)
    finally:
        collector.stop()
        sock.close()
    check(result.ok, "sipp calling %s: %s\n%s" % (exten, result.describe(), z.log_text()[-3000:]))
    return result


def recording(z, name):
    path = os.path.join(z.dir, "var", "recordings", "rec", name)
    check(z.wait_for(lambda: os.path.exists(path), timeout=5), "no recording at %s:\n%s"
          % (path, z.log_text()[-3000:]))
    return path


def check_recorded_tone(path, freq, seconds, tolerance, what, trailing_max=None, whole=False):
    """The recording at `path` holds `freq` for `seconds` (± `tolerance`) from its first loud
    20 ms on (the caller's RTP starts a moment after the recording, more so on a busy machine),
    or in all with `whole`; with `trailing_max`, at most that much quiet follows the last loud
    frame."""
    rate, samples = read_sound(path)
    n = rate // 50
    loud_frames = [i for i in range(0, len(samples) - n + 1, n) if rms(samples[i:i + n]) > 2000]
    check(loud_frames, "%s: nothing loud in %s" % (what, path))
    length = (len(samples) - (0 if whole else loud_frames[0])) / rate
    check(abs(length - seconds) <= tolerance, "%s: %.2f s recorded%s, expected %.2f s (±%.2f)"
          % (what, length, "" if whole else " from the first sound", seconds, tolerance))
    check(len(loud_frames) * n >= (seconds - tolerance) * rate * 0.8, "%s: only %.2f s of it is loud"
          % (what, len(loud_frames) * n / rate))
    if trailing_max is not None:
        trailing = (len(samples) - loud_frames[-1] - n) / rate
        check(trailing <= trailing_max, "%s: %.2f s of quiet after the last sound, at most %.2f"
              % (what, trailing, trailing_max))
    loud = [v for i in loud_frames for v in samples[i:i + n]]
    middle = loud[len(loud) // 4: len(loud) // 4 + rate // 2]
    share = tone_fraction(middle, freq, rate)
    check(share > 0.9, "%s: %d Hz is only %.2f of the power" % (what, freq, share))
    return rate


def log_says(z, text):
    check(z.wait_for(lambda: text in z.log_text(), timeout=5),
          "the log should say %r:\n%s" % (text, z.log_text()[-3000:]))


def test_record_ends_on_hash(z):
    def caller(rtp):
        rtp.audio(g711_tone("PCMU", 1000, 1.5))
        rtp.key("#")
    call(z, "7201", "PCMU", caller)
    log_says(z, "exten 7201 RECORD_STATUS=DTMF RECORDED_FILE=%s" % os.path.join(z.dir, "var", "recordings", "rec", "hash"))
    path = recording(z, "hash.wav")
    info = sound_info(path)
    check(info.get("Sample Rate") == "8000" and "16-bit Signed" in info.get("Sample Encoding", ""),
          "hash.wav: expected 8 kHz 16-bit PCM: %s" % info)
    check_recorded_tone(path, 1000, 1.5, 0.25, "Record ended by '#'")


def test_record_survives_hang_up(z):
    def caller(rtp):
        rtp.audio(g711_tone("PCMU", 600, 1.8))
    call(z, "7202", "PCMU", caller, hangup_after_ms=2000)
    log_says(z, "hangup h RECORD_STATUS=HANGUP")
    path = recording(z, "hangup.flac")
    time.sleep(0.5)  # the threadpool closes the file after the hang-up
    check(sound_info(path).get("Sample Rate") == "8000", sound_info(path))
    check_recorded_tone(path, 600, 1.9, 0.3, "Record cut by a hang-up")


def test_record_stops_on_silence(z):
    def caller(rtp):
        rtp.audio(g711_tone("PCMU", 800, 1.2))
        rtp.audio(g711_tone("PCMU", 0, 3.0))  # silence: Record ends after 2 s of it
    call(z, "7203", "PCMU", caller)
    log_says(z, "exten 7203 RECORD_STATUS=SILENCE")
    path = recording(z, "quiet.opus")
    check_recorded_tone(path, 800, 1.2, 0.2, "Record ended by silence (Ogg/Opus)", trailing_max=0.15)


def test_record_stops_at_max_duration_in_alaw(z):
    def caller(rtp):
        rtp.audio(g711_tone("PCMA", 1200, 3.5))
    call(z, "7204", "PCMA", caller)
    log_says(z, "exten 7204 RECORD_STATUS=TIMEOUT")
    path = recording(z, "max.alaw.wav")
    info = sound_info(path)
    check("A-law" in info.get("Sample Encoding", "") and info.get("Sample Rate") == "8000",
          "max.alaw.wav: expected 8 kHz A-law: %s" % info)
    # maxduration counts the recording's own 20 ms frames: the file is that long, exactly.
    check_recorded_tone(path, 1200, 2.0, 0.03, "Record stopped at maxduration", whole=True)


def test_bad_file_name_is_an_error(z):
    call(z, "7205", "PCMU", lambda rtp: None)
    log_says(z, "exten 7205 RECORD_STATUS=ERROR")
    check(re.search(r"Record: 'rec/bad.mp3' does not end in a recording format", z.log_text()),
          "the log should say why:\n" + z.log_text()[-2000:])


def test_unwritable_file_is_an_error(z):
    started = time.monotonic()
    call(z, "7206", "PCMU", lambda rtp: rtp.audio(g711_tone("PCMU", 1000, 1.0)))
    log_says(z, "exten 7206 RECORD_STATUS=ERROR")
    check(time.monotonic() - started < 8, "Record should stop at once, not at its 10 s limit")
    check("/proc/zvon-nowhere/rec.wav" in z.log_text().split("exten 7205")[-1],
          "the log should name the file:\n" + z.log_text()[-2000:])


def test_wideband_calls_record_at_their_rate(z):
    """baresip phones speaking only Opus or only G.722 send their tone; the recording keeps the
    codec's band: 48 kHz from Opus, 16 kHz from G.722."""
    for codec, exten, name, rate, freq in (("opus", "7207", "opus-call.wav", 48000, 900),
                                            ("g722", "7208", "g722-call.flac", 16000, 1100)):
        call_until_zvon_hangs_up(z, codec, exten, freq)
        log_says(z, "exten %s RECORD_STATUS=TIMEOUT" % exten)
        path = recording(z, name)
        check(sound_info(path).get("Sample Rate") == str(rate), "%s: %s" % (name, sound_info(path)))
        check_recorded_tone(path, freq, 2.0, 0.03, "Record of a %s call" % codec, whole=True)


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}) as zvon:
        run_tests([
            test_record_ends_on_hash,
            test_record_survives_hang_up,
            test_record_stops_on_silence,
            test_record_stops_at_max_duration_in_alaw,
            test_bad_file_name_is_an_error,
            test_unwritable_file_is_an_error,
            test_wideband_calls_record_at_their_rate,
        ], zvon)
