"""What the media tests measure in the audio a phone or a recording received: WAV samples, the
share of a tone's power (Goertzel), loudness, and where the audio starts."""
import math
import struct
import wave

from zvon_harness import check


def read_any_wav(path):
    """(rate, mono samples) of a 16-bit WAV at any rate, channels averaged."""
    with wave.open(path, "rb") as w:
        check(w.getsampwidth() == 2, "%s: expected 16-bit samples" % path)
        rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        data = struct.unpack("<%dh" % (n * ch), w.readframes(n))
    return rate, [sum(data[i:i + ch]) // ch for i in range(0, len(data), ch)]


def tone_fraction(samples, freq, rate):
    """The share of the signal's power at `freq` (Goertzel): 1.0 for a pure tone at freq."""
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = energy = 0.0
    for v in samples:
        s0 = v + coeff * s1 - s2
        s2, s1 = s1, s0
        energy += v * v
    if not samples or energy == 0:
        return 0.0
    return 2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (len(samples) * energy)


def rms(samples):
    return math.sqrt(sum(v * v for v in samples) / len(samples)) if samples else 0.0


def loud_part(samples, rate):
    """The samples from the first loud 20 ms frame on (RTP starts a little after the call)."""
    frame = rate // 50
    for i in range(0, len(samples) - frame, frame):
        if rms(samples[i:i + frame]) > 1000:
            return samples[i:]
    return []
