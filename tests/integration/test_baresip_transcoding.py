"""Phones with no codec in common talk through zvon, which transcodes.

baresip offering only Opus calls baresip offering only PCMU (and the other way round): each
records what it decodes, and a Goertzel filter checks that it hears the other's tone at the
right frequency, loud, and not its own. A G.722 phone calls a PCMU phone and an Opus phone the
same way, and Opus and G.722 phones hear the tone prompt (Playback encodes through the call's
codec). zvon's log names the translation path each direction took."""
import os
import re
import time

from audio_test_common import loud_part, read_any_wav, rms, tone_fraction
from test_baresip_call import Phones, channel_count, channels, in_zvon_range, wait_registered
from zvon_harness import Zvon, check, run_tests

ALL_CODECS = ("g711.so", "g722.so", "opus.so")
# How baresip's accounts name each codec, and the rate and channels its aufile source must
# have for it (baresip 1.0 does not resample a file source).
PHONE_CODECS = {
    "opus": ("opus/48000/2", 48000, 2),
    "g722": ("G722/16000/1", 16000, 1),
    "pcmu": ("PCMU/8000/1", 8000, 1),
}


def start_phone(phones, user, codec, freq, also=(), source_codec=None, **kwargs):
    """A phone preferring `codec`, also offering the codecs in `also`; its tone file suits
    `source_codec` (the one the call will use), by default `codec`."""
    name = PHONE_CODECS[codec][0]
    _, rate, channels = PHONE_CODECS[source_codec or codec]
    names = ",".join([name] + [PHONE_CODECS[c][0] for c in also])
    return phones.start(user, names, freq, codec_modules=ALL_CODECS, source_rate=rate,
                        source_channels=channels, **kwargs)

DIALPLAN = """
[internal]
exten => _1XX,1,Dial(SIP/${EXTEN},20)
 same => n,Hangup()
exten => 7000,1,Playback(tone-1khz)
 same => n,Hangup()
"""


def recording(phone):
    import glob
    files = glob.glob(os.path.join(phone.dir, "dump-*-dec.wav"))
    check(len(files) == 1, "baresip %s: expected one decoded recording, found %s" % (phone.user, files))
    return read_any_wav(files[0])


def check_hears(rate, samples, freq, other, what, seconds=1.5):
    """What a phone decoded (`samples` at `rate`) carries `freq` for `seconds`, loud, and not
    `other`."""
    heard = loud_part(samples, rate)
    check(len(heard) >= seconds * rate, "%s: only %.2f s of audio arrived (%d Hz recording)"
          % (what, len(heard) / rate, rate))
    # 1 s from a quarter second in: past the codecs' start-up, and quick to filter in Python.
    middle = heard[rate // 4: rate // 4 + rate]
    level = rms(middle)
    share = tone_fraction(middle, freq, rate)
    leak = tone_fraction(middle, other, rate) if other else 0.0
    check(level > 2000, "%s: audio too quiet (rms %.0f)" % (what, level))
    check(share > 0.8, "%s: %d Hz is only %.2f of the power" % (what, freq, share))
    check(leak < 0.05, "%s: %d Hz should not be there (%.2f of the power)" % (what, other, leak))


def call_and_check(z, caller_codec, caller_freq, callee_codec, callee_freq, path_pattern,
                   callee_also=(), callee_source=None):
    transcoded_before = len(re.findall(r"transcoding ", z.log_text()))
    with Phones(z) as phones:
        callee = start_phone(phones, "102", callee_codec, callee_freq, answer="auto", also=callee_also,
                             source_codec=callee_source)
        caller = start_phone(phones, "101", caller_codec, caller_freq)
        wait_registered(z, "101", "102")
        caller.command("dial", "sip:102@127.0.0.1:%d" % z.sip_port)
        callee.wait_event("CALL_ESTABLISHED")
        caller.wait_event("CALL_ESTABLISHED")
        check(channel_count(z) == 2, "during the call: " + channels(z))
        time.sleep(2.2)
        caller.command("hangup")
        caller.wait_event("CALL_CLOSED")
        callee.wait_event("CALL_CLOSED")
        check(z.wait_for(lambda: channel_count(z) == 0, timeout=8),
              "channels left after the call: " + channels(z))
        what = "%s caller <-> %s callee" % (caller_codec, callee_codec)
        check_hears(*recording(caller), callee_freq, caller_freq, "the %s caller, %s" % (caller_codec, what))
        check_hears(*recording(callee), caller_freq, callee_freq, "the %s callee, %s" % (callee_codec, what))
        for phone in (caller, callee):
            port = phone.rtp_source_port()
            check(in_zvon_range(z, port), "baresip %s got RTP from port %d, outside zvon's %s"
                  % (phone.user, port, z.rtp_range))
        for pattern in path_pattern:
            check(re.search(pattern, z.log_text()), "zvon's log should show the path %r:\n%s"
                  % (pattern, z.log_text()[-3000:]))
        if not path_pattern:
            check(len(re.findall(r"transcoding ", z.log_text())) == transcoded_before,
                  "this call should have been relayed, not transcoded:\n" + z.log_text()[-3000:])


def test_opus_phone_calls_pcmu_phone(z):
    call_and_check(z, "opus", 1000, "pcmu", 1500,
                   [r"transcoding opus@8000 -> PCMU@8000", r"transcoding PCMU@8000 -> opus@8000"])


def test_pcmu_phone_calls_opus_phone(z):
    call_and_check(z, "pcmu", 700, "opus", 1200,
                   [r"transcoding opus@8000 -> PCMU@8000", r"transcoding PCMU@8000 -> opus@8000"])


def test_g722_phone_calls_pcmu_phone(z):
    call_and_check(z, "g722", 900, "pcmu", 1300,
                   [r"transcoding G722@8000 -> PCMU@8000", r"transcoding PCMU@8000 -> G722@8000"])


def test_g722_phone_calls_opus_phone(z):
    # Both wideband: they meet at 16 kHz, no resampler and no band lost.
    call_and_check(z, "g722", 800, "opus", 1100,
                   [r"transcoding G722@16000 -> opus@16000", r"transcoding opus@16000 -> G722@16000"])


def test_common_codec_is_relayed(z):
    # The callee would rather speak Opus, but has PCMU too: zvon offers it the caller's PCMU
    # first, so the bridge relays packets untouched instead of transcoding.
    call_and_check(z, "pcmu", 600, "opus", 1400, [], callee_also=("pcmu",), callee_source="pcmu")


def call_until_zvon_hangs_up(z, codec, exten, freq, timeout=10):
    """A `codec` phone (sending `freq`) calls `exten`, whose dialplan hangs up at its end;
    returns (rate, samples) of what the phone decoded."""
    with Phones(z) as phones:
        caller = start_phone(phones, "101", codec, freq)
        wait_registered(z, "101")
        caller.command("dial", "sip:%s@127.0.0.1:%d" % (exten, z.sip_port))
        caller.wait_event("CALL_ESTABLISHED")
        caller.wait_event("CALL_CLOSED", timeout=timeout)
        check(z.wait_for(lambda: channel_count(z) == 0, timeout=8), channels(z))
        return recording(caller)


def test_playback_on_opus_and_g722(z):
    for codec in ("opus", "g722"):
        rate, samples = call_until_zvon_hangs_up(z, codec, "7000", 1500)
        check_hears(rate, samples, 1000, 1500, "the %s caller of Playback(tone-1khz)" % codec)


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, zvon_general={"log_level": "verbose"}) as zvon:
        run_tests([
            test_opus_phone_calls_pcmu_phone,
            test_pcmu_phone_calls_opus_phone,
            test_g722_phone_calls_pcmu_phone,
            test_g722_phone_calls_opus_phone,
            test_common_codec_is_relayed,
            test_playback_on_opus_and_g722,
        ], zvon)
