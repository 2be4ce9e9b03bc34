"""Record(): a sipp caller sends a tone from the test (G.711 RTP) and zvon records it.

The recordings are read back with sox and opusdec, not with the libsndfile that wrote them,
and a Goertzel filter checks their frequency and length. Each call ends another way: '#' as
an RFC 4733 event (WAV), the caller hanging up mid-recording (FLAC: still complete and
valid), two seconds of silence (Ogg/Opus, the silence left out), the maximum duration (WAV
A-law on a PCMA call). RECORD_STATUS and RECORDED_FILE reach the dialplan; a bad file name
gives RECORD_STATUS=ERROR and the call goes on."""
import os
import re
import tempfile
import threading
import time

from media_file_common import read_sound, sound_info
from sip_test_common import (SECRETS, RtpCollector, RtpSender, g711_tone, uac_media_scenario,
                             udp_socket, wait_file)
from test_baresip_transcoding import rms, tone_fraction
from zvon_harness import Zvon, check, run_sipp, run_tests

RECORDS = {
    "7201": "Record(rec/hash.wav,0,20,q)",
    "7202": "Record(rec/hangup.flac,0,0,q)",
    "7203": "Record(rec/quiet.opus,2,0,q)",
    "7204": "Record(rec/max.alaw.wav,0,2)",
    "7205": "Record(rec/bad.mp3,0,2,q)",
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


def check_recorded_tone(path, freq, seconds, tolerance, what):
    rate, samples = read_sound(path)
    length = len(samples) / rate
    check(abs(length - seconds) <= tolerance, "%s: %.2f s recorded, expected %.2f s (±%.2f)"
          % (what, length, seconds, tolerance))
    loud = [samples[i:i + rate // 50] for i in range(0, len(samples) - rate // 50, rate // 50)]
    loud = [s for w in loud if rms(w) > 2000 for s in w]
    check(len(loud) >= (seconds - tolerance) * rate * 0.8, "%s: only %.2f s of it is loud"
          % (what, len(loud) / rate))
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
    check_recorded_tone(path, 800, 1.2, 0.3, "Record ended by silence (Ogg/Opus)")


def test_record_stops_at_max_duration_in_alaw(z):
    def caller(rtp):
        rtp.audio(g711_tone("PCMA", 1200, 3.5))
    call(z, "7204", "PCMA", caller)
    log_says(z, "exten 7204 RECORD_STATUS=TIMEOUT")
    path = recording(z, "max.alaw.wav")
    info = sound_info(path)
    check("A-law" in info.get("Sample Encoding", "") and info.get("Sample Rate") == "8000",
          "max.alaw.wav: expected 8 kHz A-law: %s" % info)
    check_recorded_tone(path, 1200, 2.0, 0.15, "Record stopped at maxduration")


def test_bad_file_name_is_an_error(z):
    call(z, "7205", "PCMU", lambda rtp: None)
    log_says(z, "exten 7205 RECORD_STATUS=ERROR")
    check(re.search(r"Record: 'rec/bad.mp3' does not end in a recording format", z.log_text()),
          "the log should say why:\n" + z.log_text()[-2000:])


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}) as zvon:
        run_tests([
            test_record_ends_on_hash,
            test_record_survives_hang_up,
            test_record_stops_on_silence,
            test_record_stops_at_max_duration_in_alaw,
            test_bad_file_name_is_an_error,
        ], zvon)
