"""chan_sip calls: a sipp UAC calls 102 through zvon (Dial) and a sipp UAS registered as 102
answers; RTP flows both ways through zvon (each side sees only zvon's address), RFC 4733
digits pass through; failure answers of the callee reach the caller (486/480/404/408);
chan_sip cannot be unloaded while the call is up and unloads/reloads cleanly afterwards."""
import os
import socket
import struct
import tempfile
import time

from sip_test_common import (DIALPLAN, SECRETS, fill_template, parse_rtp, receive,  # noqa: F401
                             rtp_packet, udp_socket, wait_file)
from zvon_harness import (SIPP_DIR, SipClient, Zvon, check, free_port, run_sipp, run_tests,
                          wait_port_taken)


def register_uas(z, uas_port, user="102"):
    with SipClient(z.sip_port) as c:
        first, final = c.register(user, SECRETS[user], expires=120,
                                  contact="sip:%s@127.0.0.1:%d" % (user, uas_port))
        check(final is not None and final.status == 200, "registering the UAS: %r" % final)


def channel_count(z):
    status, out = z.rx("core show channels")
    check(status == 0, out)
    return out


def no_channels(z):
    return z.wait_for(lambda: "0 active channels" in channel_count(z) or
                      "SIP/" not in channel_count(z), timeout=8)


def test_call_with_rtp_through_zvon(z):
    a, b = udp_socket(), udp_socket()   # the caller's and the callee's RTP
    work = tempfile.mkdtemp(prefix="call-", dir=z.dir)
    uac_info, uas_info = os.path.join(work, "uac"), os.path.join(work, "uas")
    uas_port = free_port("udp")
    register_uas(z, uas_port)
    uas = run_sipp("uas_answer.xml", None, local_port=uas_port, timeout=30, background=True,
                   extra_keys={"rtp_port": b.getsockname()[1], "info_file": uas_info},
                   work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    uac = run_sipp(
        "uac_call.xml", "127.0.0.1:%d" % z.sip_port, user="101", password=SECRETS["101"],
        service="102", timeout=30, background=True, work_dir=z.dir,
        extra_keys={"caller": "101", "rtp_port": a.getsockname()[1], "info_file": uac_info})
    try:
        caller_side = wait_file(uac_info)
        callee_side = wait_file(uas_info)
        if not (caller_side and callee_side):
            raise AssertionError("the call was not set up:\n" + uac.finish().describe() +
                                 "\n" + z.log_text()[-3000:])
        check(caller_side[0] == "127.0.0.1" and callee_side[0] == "127.0.0.1",
              (caller_side, callee_side))
        check(caller_side[1] != callee_side[1], "both legs share one RTP port")

        # The call is up: chan_sip must refuse to unload, naming the channels.
        status, out = z.rx("module unload chan_sip")
        check(status != 0 and "SIP/" in out, "unload while a call is up: %d %s" % (status, out))
        check("SIP/101" in channel_count(z) and "SIP/102" in channel_count(z), channel_count(z))

        # RTP both ways, 20 packets each, payload patterns that tell the sides apart.
        for i in range(20):
            a.sendto(rtp_packet(0, 100 + i, 160 * i, 0x1111, bytes([0x11]) * 160), caller_side)
            b.sendto(rtp_packet(0, 500 + i, 160 * i, 0x2222, bytes([0x22]) * 160), callee_side)
            time.sleep(0.02)
        got_b = receive(b, 0.8)
        got_a = receive(a, 0.3)
        audio_b = [p for addr, p in got_b if p["pt"] == 0]
        audio_a = [p for addr, p in got_a if p["pt"] == 0]
        check(len(audio_b) >= 15, "the callee got %d of 20 packets" % len(audio_b))
        check(len(audio_a) >= 15, "the caller got %d of 20 packets" % len(audio_a))
        check(all(addr == callee_side for addr, _ in got_b),
              "the callee got packets from elsewhere than zvon: %s" % {addr for addr, _ in got_b})
        check(all(addr == caller_side for addr, _ in got_a),
              "the caller got packets from elsewhere than zvon: %s" % {addr for addr, _ in got_a})
        check(all(p["payload"] == bytes([0x11]) * 160 for p in audio_b), "callee payload changed")
        check(all(p["payload"] == bytes([0x22]) * 160 for p in audio_a), "caller payload changed")

        # RFC 4733: digit 5 from the caller reaches the callee as telephone-event.
        for i, end in enumerate([False, False, True, True, True]):
            duration = 160 * (i + 1)
            payload = struct.pack("!BBH", 5, (0x80 if end else 0) | 10, duration)
            a.sendto(rtp_packet(101, 120 + i, 160 * 20, 0x1111, payload, marker=(i == 0)),
                     caller_side)
            time.sleep(0.02)
        events = [p for addr, p in receive(b, 0.6) if p["pt"] == 101]
        check(events, "no telephone-event reached the callee")
        check(events[0]["payload"][0] == 5, "wrong digit: %r" % events[0]["payload"])
    finally:
        ruac = uac.finish()
        ruas = uas.finish()
        a.close()
        b.close()
    check(ruac.ok, "UAC: " + ruac.describe())
    check(ruas.ok, "UAS: " + ruas.describe())
    check(no_channels(z), "channels left after the call: " + channel_count(z))


def run_rejected_call(z, code, reason):
    uas_port = free_port("udp")
    register_uas(z, uas_port)
    uas = run_sipp(fill_template("uas_reject.xml.in", CODE=code, REASON=reason), None,
                   local_port=uas_port, timeout=20, background=True, work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    uac = run_sipp(fill_template("uac_fail.xml.in", CODE=code), "127.0.0.1:%d" % z.sip_port,
                   user="101", password=SECRETS["101"], service="102", timeout=20,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": 4000})
    ruas = uas.finish()
    check(uac.ok, "caller expecting %d: %s\n%s" % (code, uac.describe(), z.log_text()[-2000:]))
    check(ruas.ok, "callee answering %d: %s" % (code, ruas.describe()))
    check(no_channels(z), "channels left: " + channel_count(z))


def test_busy_gives_486(z):
    run_rejected_call(z, 486, "Busy Here")


def test_unavailable_gives_480(z):
    run_rejected_call(z, 480, "Temporarily Unavailable")


def test_not_found_gives_404(z):
    run_rejected_call(z, 404, "Not Found")


def test_request_timeout_gives_408(z):
    run_rejected_call(z, 408, "Request Timeout")


def test_unknown_extension_gives_404(z):
    uac = run_sipp(fill_template("uac_fail.xml.in", CODE=404), "127.0.0.1:%d" % z.sip_port,
                   user="101", password=SECRETS["101"], service="999", timeout=20,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": 4000})
    check(uac.ok, uac.describe())


def test_caller_cancel_reaches_the_callee(z):
    uas_port = free_port("udp")
    register_uas(z, uas_port)
    uas = run_sipp("uas_ring_cancelled.xml", None, local_port=uas_port, timeout=20,
                   background=True, work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    uac = run_sipp("uac_cancel.xml", "127.0.0.1:%d" % z.sip_port, user="101",
                   password=SECRETS["101"], service="102", timeout=20, work_dir=z.dir,
                   extra_keys={"caller": "101", "rtp_port": 4000})
    ruas = uas.finish()
    check(uac.ok, "caller: " + uac.describe() + z.log_text()[-2000:])
    check(ruas.ok, "callee: " + ruas.describe())
    check(no_channels(z), "channels left: " + channel_count(z))


def test_dial_timeout_cancels_callee_and_gives_480(z):
    uas_port = free_port("udp")
    register_uas(z, uas_port)
    uas = run_sipp("uas_ring_cancelled.xml", None, local_port=uas_port, timeout=20,
                   background=True, work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    started = time.monotonic()
    uac = run_sipp(fill_template("uac_fail.xml.in", CODE=480), "127.0.0.1:%d" % z.sip_port,
                   user="101", password=SECRETS["101"], service="2102", timeout=20,
                   work_dir=z.dir, extra_keys={"caller": "101", "rtp_port": 4000})
    ruas = uas.finish()
    check(uac.ok, "caller: " + uac.describe() + z.log_text()[-2000:])
    check(time.monotonic() - started >= 1.5, "Dial's 2 s timeout did not wait")
    check(ruas.ok, "callee: " + ruas.describe())
    check(no_channels(z), "channels left: " + channel_count(z))


def test_unload_and_load_again_when_idle(z):
    check(no_channels(z), channel_count(z))
    status, out = z.rx("module unload chan_sip")
    check(status == 0, "unload chan_sip when idle: " + out)
    status, out = z.rx("module load chan_sip")
    check(status == 0, "load chan_sip again: " + out)
    with SipClient(z.sip_port) as c:
        first, final = c.register("101", SECRETS["101"])
        check(final is not None and final.status == 200, "REGISTER after reload: %r" % final)


if __name__ == "__main__":
    dialplan = DIALPLAN + "exten => 2102,1,Dial(SIP/102,2)\n"
    with Zvon(dialplan={"extensions.conf": dialplan}) as zvon:
        run_tests([
            test_call_with_rtp_through_zvon,
            test_busy_gives_486,
            test_unavailable_gives_480,
            test_not_found_gives_404,
            test_request_timeout_gives_408,
            test_unknown_extension_gives_404,
            test_caller_cancel_reaches_the_callee,
            test_dial_timeout_cancels_callee_and_gives_480,
            test_unload_and_load_again_when_idle,
        ], zvon)
