"""Calls for the CDR tests: a dialplan with one extension per disposition, the phones that
answer, refuse or ring, and sipp callers in batches."""
import os
import re
import tempfile
import time

from sip_test_common import SECRETS, WAIT_FOR_BYE
from zvon_harness import (SIPP_DIR, SipClient, check, free_port, read_text, run_sipp)

DIALPLAN = """
[internal]
exten => 700,1,Answer()
 same => n,Wait(0.3)
 same => n,Hangup()
exten => 702,1,Dial(SIP/102,10)
 same => n,Hangup()
exten => 703,1,Dial(SIP/103,10)
 same => n,Hangup()
exten => 704,1,Dial(SIP/104,1)
 same => n,Hangup()
exten => 705,1,Dial(SIP/104,20)
 same => n,Hangup()
"""

PHONES = dict(SECRETS, **{"104": "104secret"})


def sip_conf():
    from zvon_harness import SOURCE_DIR
    text = read_text(os.path.join(SOURCE_DIR, "etc", "sip.conf"))
    return text + "\n[104](phone)\nsecret = 104secret\n"


def scenario(z, name, text):
    path = os.path.join(z.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def uac_answered(z, hold_ms=300):
    """uac_call.xml that hangs up after `hold_ms` and writes no file."""
    text = read_text(os.path.join(SIPP_DIR, "uac_call.xml"))
    text = re.sub(r"<nop>.*?</nop>", "", text, flags=re.S)
    # Without the nop the SDP captures are unused, which sipp refuses.
    text = re.sub(r"<action>\s*<ereg.*?</action>", "", text, flags=re.S)
    text = text.replace('<pause milliseconds="4000"/>', '<pause milliseconds="%d"/>' % hold_ms)
    return scenario(z, "uac_answered.xml", text)


def uac_hung_up(z):
    """uac_answered's call, but zvon hangs up: the caller waits for its BYE and answers 200."""
    text = read_text(uac_answered(z))
    start = text.index('<pause milliseconds=')
    text = text[:start] + WAIT_FOR_BYE + "\n</scenario>\n"
    return scenario(z, "uac_hung_up.xml", text)


def uac_fail(z, code):
    text = read_text(os.path.join(SIPP_DIR, "uac_fail.xml.in")).replace("@CODE@", str(code))
    return scenario(z, "uac_fail_%d.xml" % code, text)


def uas_reject(z, code, reason):
    text = read_text(os.path.join(SIPP_DIR, "uas_reject.xml.in"))
    text = text.replace("@CODE@", str(code)).replace("@REASON@", reason)
    return scenario(z, "uas_reject_%d.xml" % code, text)


def register(z, user, port):
    with SipClient(z.sip_port) as c:
        _, final = c.register(user, PHONES[user], expires=300,
                              contact="sip:%s@127.0.0.1:%d" % (user, port))
        check(final is not None and final.status == 200, "registering %s: %r" % (user, final))


class Phones:
    """UAS sipps registered as 102 (answers), 103 (busy), 104 (rings until cancelled)."""

    def __init__(self, z, answered=0, busy=0, ringing=0, timeout=90):
        self.procs = []
        info = os.path.join(z.dir, "uas-info")
        for user, scen, calls, keys in (
                ("102", "uas_answer.xml", answered, {"rtp_port": 4002, "info_file": info}),
                ("103", uas_reject(z, 486, "Busy Here"), busy, {}),
                ("104", "uas_ring_cancelled.xml", ringing, {})):
            if not calls:
                continue
            port = free_port("udp")
            self.procs.append((user, run_sipp(scen, None, local_port=port, timeout=timeout,
                                              background=True, calls=calls, extra_keys=keys,
                                              work_dir=z.dir,
                                              args=("-l", "50"))))
            deadline = time.monotonic() + 5
            time.sleep(0.2)
            register(z, user, port)

    def finish(self):
        results = {}
        for user, p in self.procs:
            results[user] = p.finish()
        return results


def call_batch(z, kind, calls, rate=20, limit=20, timeout=60, background=False, service=None):
    """`calls` calls of one kind: answered-zvon (700), answered (702), busy (703),
    noanswer (704), cancel (705), failed (999); `service` dials another extension and expects
    the kind's outcome there (answered-zvon: 200 then zvon's BYE, busy: 486, ...)."""
    common = dict(user="101", password=PHONES["101"], timeout=timeout, calls=calls,
                  work_dir=z.dir, background=background,
                  args=("-r", str(rate), "-l", str(limit)))
    target = "127.0.0.1:%d" % z.sip_port
    if kind == "answered-zvon":
        return run_sipp(uac_hung_up(z), target, service=service or "700",
                        extra_keys={"caller": "101", "rtp_port": 4000, "info_file": "/dev/null"}, **common)
    if kind == "answered":
        return run_sipp(uac_answered(z), target, service=service or "702",
                        extra_keys={"caller": "101", "rtp_port": 4000, "info_file": "/dev/null"}, **common)
    if kind == "busy":
        return run_sipp(uac_fail(z, 486), target, service=service or "703",
                        extra_keys={"caller": "101", "rtp_port": 4000}, **common)
    if kind == "noanswer":
        return run_sipp(uac_fail(z, 480), target, service=service or "704",
                        extra_keys={"caller": "101", "rtp_port": 4000}, **common)
    if kind == "cancel":
        return run_sipp(os.path.join(SIPP_DIR, "uac_cancel.xml"), target, service=service or "705",
                        extra_keys={"caller": "101", "rtp_port": 4000}, **common)
    if kind == "failed":
        return run_sipp(uac_fail(z, 404), target, service=service or "999",
                        extra_keys={"caller": "101", "rtp_port": 4000}, **common)
    raise ValueError(kind)


def cdr_status(z):
    status, out = z.rx("cdr show status")
    check(status == 0, out)
    return out


def loop_lag_ms(z):
    """The largest loop lag (ms) since `cdr reset lag`, over every loop."""
    out = cdr_status(z)
    values = [float(v) for v in re.findall(r"=(\d+(?:\.\d+)?)ms", out)]
    check(values, "no loop lag in: " + out)
    return max(values)
