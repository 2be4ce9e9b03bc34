"""Sound files for the playback and recording tests: tones written at test time in every
format zvon plays (sox for WAV and FLAC, opusenc for Ogg/Opus: tools independent of the
libsndfile zvon reads them with), read back with sox/opusdec, and checked with Goertzel."""
import os
import subprocess
import wave

from audio_test_common import read_any_wav, rms, tone_fraction
from zvon_harness import check

# (name, extension, sox options of the output file, frequency). Each plays its own frequency, so the
# order and presence of every format can be heard at the far end.
TONE_FORMATS = [
    ("pcm8", ".wav", ["-r", "8000", "-e", "signed-integer", "-b", "16"], 500),
    ("pcm16", ".wav", ["-r", "16000", "-e", "signed-integer", "-b", "16"], 700),
    ("pcm48", ".wav", ["-r", "48000", "-e", "signed-integer", "-b", "16"], 900),
    ("ulaw", ".wav", ["-r", "8000", "-e", "u-law"], 1100),
    ("alaw", ".wav", ["-r", "8000", "-e", "a-law"], 1300),
    ("flac", ".flac", ["-r", "16000", "-b", "16"], 1500),
    ("opus", ".opus", None, 1700),
]


def sox(*args):
    r = subprocess.run(["sox"] + list(args), capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "sox %s: %s" % (" ".join(args), r.stderr))


def write_tones(directory, seconds):
    """Writes tone-<name><ext> for every TONE_FORMATS entry; returns [(name, freq)]."""
    os.makedirs(directory, exist_ok=True)
    out = []
    for name, ext, options, freq in TONE_FORMATS:
        path = os.path.join(directory, "tone-%s%s" % (name, ext))
        synth = ["synth", str(seconds), "sine", str(freq), "vol", "0.5"]
        if ext == ".opus":
            source = os.path.join(directory, "opus-source.wav")
            sox("-R", "-n", "-r", "48000", "-c", "1", "-b", "16", source, *synth)
            r = subprocess.run(["opusenc", "--quiet", source, path], capture_output=True, text=True,
                               timeout=60)
            check(r.returncode == 0, "opusenc: " + r.stderr)
            os.remove(source)
        else:
            sox("-R", "-n", "-c", "1", *options, path, *synth)
        out.append((name, freq))
    return out


def read_sound(path):
    """(rate, mono samples) of any file sox or opusdec reads, as 16-bit PCM."""
    wav = path + ".check.wav"
    if path.endswith(".opus"):
        r = subprocess.run(["opusdec", "--quiet", "--rate", "48000", path, wav],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "opusdec %s: %s" % (path, r.stderr))
    else:
        sox(path, "-e", "signed-integer", "-b", "16", wav)
    try:
        return read_any_wav(wav)
    finally:
        os.remove(wav)


def sound_info(path):
    """soxi's view of a file (rate, channels, encoding ...) as a dict."""
    r = subprocess.run(["soxi", path], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "soxi %s: %s" % (path, r.stderr))
    info = {}
    for line in r.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


def dominant_runs(samples, rate, freqs, window_ms=40, share=0.6):
    """[(freq, seconds)] in order: stretches where one of `freqs` carries most of the power
    of each window (louder than silence); a window where none does ends a stretch."""
    n = rate * window_ms // 1000
    runs = []
    for i in range(0, len(samples) - n + 1, n):
        w = samples[i:i + n]
        best = None
        if rms(w) > 500:
            f, s = max(((f, tone_fraction(w, f, rate)) for f in freqs), key=lambda x: x[1])
            if s > share:
                best = f
        if best is not None and runs and runs[-1][0] == best and runs[-1][2] == i - n:
            runs[-1] = (best, runs[-1][1] + n, i)
        elif best is not None:
            runs.append((best, n, i))
    return [(f, count / rate) for f, count, _ in runs]


def check_tone_sequence(samples, rate, expected, min_seconds, what):
    """`samples` play each (name, freq) of `expected`, in order, for at least `min_seconds`."""
    freqs = [f for _, f in expected]
    runs = [(f, s) for f, s in dominant_runs(samples, rate, freqs) if s >= min_seconds]
    heard = [f for f, _ in runs]
    check(heard == freqs, "%s: expected the tones %s in order, heard %s (runs %s)"
          % (what, ", ".join("%s %d Hz" % e for e in expected), heard,
             dominant_runs(samples, rate, freqs)))


def wav_duration(path):
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()
