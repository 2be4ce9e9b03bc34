"""Hold with music: a sipp caller (101) calls a sipp callee (102) through Dial and puts the
call on hold with a re-INVITE (a=sendonly): zvon answers recvonly, stops sending to the
caller and plays music on hold (res_musiconhold, sounds/moh/default) to the callee, whose
socket receives RTP that is not the caller's audio. The re-INVITE back to sendrecv, moving
the caller's RTP to another port, resumes the bridge to that new port; an RFC 2543 hold
(c=0.0.0.0) holds again. Events say Hold / Unhold / MusicOnHoldStart / MusicOnHoldStop, and
the holding phone's device state (what a busy lamp field shows) goes ONHOLD, then INUSE."""
import os
import re
import tempfile
import time

from dtmf_test_common import (EventWatcher, available, drain, rtp_packet, udp_socket, wait_file)
from sip_test_common import DIALPLAN, SECRETS
from zvon_harness import SipClient, Zvon, check, free_port, run_sipp, run_tests, wait_port_taken

CALLER = bytes([0x11]) * 160
CALLEE = bytes([0x22]) * 160


def register_uas(z, uas_port, user="102"):
    with SipClient(z.sip_port) as c:
        first, final = c.register(user, SECRETS[user], expires=120,
                                  contact="sip:%s@127.0.0.1:%d" % (user, uas_port))
        check(final is not None and final.status == 200, "registering the UAS: %r" % final)


def exchange(z, caller_sock, caller_dest, callee_sock, callee_dest, seconds=0.8):
    """Both sides send 20 ms packets for `seconds` while we collect what each receives."""
    drain(caller_sock)
    drain(callee_sock)
    got_caller, got_callee = [], []
    n = int(seconds / 0.02)
    start = time.monotonic()
    for i in range(n):  # bounded: n packets each way, on a 20 ms schedule
        caller_sock.sendto(rtp_packet(0, 100 + i, 160 * i, 0x1111, CALLER), caller_dest)
        callee_sock.sendto(rtp_packet(0, 500 + i, 160 * i, 0x2222, CALLEE), callee_dest)
        got_caller += available(caller_sock)
        got_callee += available(callee_sock)
        time.sleep(max(0, start + 0.02 * (i + 1) - time.monotonic()))
    time.sleep(0.1)
    got_caller += available(caller_sock)
    got_callee += available(callee_sock)
    return ([p for _, p in got_caller if p["pt"] == 0], [p for _, p in got_callee if p["pt"] == 0])


def check_bridged(caller_got, callee_got, phase):
    check(len(callee_got) >= 20 and all(p["payload"] == CALLER for p in callee_got),
          "%s: the callee hears the caller (%d packets, payloads %r)"
          % (phase, len(callee_got), {p["payload"][:4] for p in callee_got}))
    check(len(caller_got) >= 20 and all(p["payload"] == CALLEE for p in caller_got),
          "%s: the caller hears the callee (%d packets)" % (phase, len(caller_got)))


def check_held(caller_got, callee_got, phase):
    check(not caller_got, "%s: nothing is sent to the holding caller (got %d)" % (phase, len(caller_got)))
    music = [p for p in callee_got if p["payload"] != CALLER]
    check(len(music) >= 20, "%s: the callee gets music RTP (%d packets, %d of them the caller's)"
          % (phase, len(music), len(callee_got) - len(music)))
    check(len(music) == len(callee_got), "%s: none of the caller's audio leaks to the callee" % phase)
    check(len({p["payload"] for p in music}) > 10, "%s: the music changes (not one repeated frame)" % phase)


def holding_caller(z, service, a, a2, f):
    """sipp's uac_hold.xml as 101 calling `service`, its RTP on sockets a then a2, writing the
    files f["uac"], f["held"], f["resumed"], f["held2"] as it goes."""
    return run_sipp("uac_hold.xml", "127.0.0.1:%d" % z.sip_port, user="101",
                    password=SECRETS["101"], service=service, timeout=40, background=True,
                    work_dir=z.dir,
                    extra_keys={"caller": "101", "rtp_port": a.getsockname()[1],
                                "rtp_port2": a2.getsockname()[1], "info_file": f["uac"],
                                "hold_file": f["held"], "resume_file": f["resumed"],
                                "hold2_file": f["held2"]})


def test_hold_plays_music_and_unhold_resumes(z):
    a, a2, b = udp_socket(), udp_socket(), udp_socket()
    work = tempfile.mkdtemp(prefix="hold-", dir=z.dir)
    f = {k: os.path.join(work, k) for k in ("uac", "uas", "held", "resumed", "held2")}
    uas_port = free_port("udp")
    register_uas(z, uas_port)
    w = EventWatcher(z, ["Hold", "Unhold", "MusicOnHoldStart", "MusicOnHoldStop", "ChannelHangup",
                         "DeviceStateChange"])
    uas = run_sipp("uas_answer.xml", None, local_port=uas_port, timeout=40, background=True,
                   extra_keys={"rtp_port": b.getsockname()[1], "info_file": f["uas"]},
                   work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    uac = holding_caller(z, "102", a, a2, f)

    def device_101(events):  # what a busy lamp field of 101 sees
        return [e["state"] for e in events if e["type"] == "DeviceStateChange" and e.get("device") == "SIP/101"]

    try:
        caller_side, callee_side = wait_file(f["uac"]), wait_file(f["uas"])
        if not (caller_side and callee_side):
            raise AssertionError("the call was not set up:\n" + uac.finish().describe() +
                                 "\n" + z.log_text()[-3000:])
        check_bridged(*exchange(z, a, caller_side, b, callee_side), "before hold")

        check(wait_file_exists(f["held"]), "the hold re-INVITE was answered recvonly")
        time.sleep(0.1)
        check_held(*exchange(z, a, caller_side, b, callee_side), "on hold (sendonly)")
        events = w.wait(lambda ev: any(e["type"] == "MusicOnHoldStart" for e in ev))
        check(any(e["type"] == "Hold" and e["channel"].startswith("SIP/101") for e in events),
              "a Hold event for the caller: %r" % events)
        check(any(e["type"] == "MusicOnHoldStart" and e["channel"].startswith("SIP/102") and
                  e["class"] == "default" for e in events), "music starts for the callee: %r" % events)
        check(device_101(events)[-1:] == ["ONHOLD"], "101's device while it holds: %r" % device_101(events))
        caller_name = next(e["channel"] for e in events if e["type"] == "Hold")
        status, out = z.rx("core show channel " + caller_name)
        check(status == 0 and "On hold:" in out and "yes" in out.split("On hold:")[1].split("\n")[0],
              "core show channel says the caller holds: " + out)
        m = re.search(r"packets_received:\s+(\d+)", out)
        check("-- Media --" in out and m and int(m.group(1)) >= 40 and
              re.search(r"jitter_ms:\s+[\d.]+", out) and re.search(r"packets_lost:\s+-?\d+", out) and
              re.search(r"mos:\s+[1-4]\.\d\d", out),
              "core show channel shows the RTP statistics: " + out)

        check(wait_file_exists(f["resumed"]), "the unhold re-INVITE was answered sendrecv")
        time.sleep(0.1)
        check_bridged(*exchange(z, a2, caller_side, b, callee_side), "resumed, caller on a new port")
        events = w.wait(lambda ev: any(e["type"] == "MusicOnHoldStop" for e in ev))
        check(any(e["type"] == "Unhold" for e in events), "an Unhold event: %r" % events)
        check(device_101(events)[-1:] == ["INUSE"], "101's device after the unhold: %r" % device_101(events))
        check(any(e["type"] == "MusicOnHoldStop" for e in events), "music stops: %r" % events)

        check(wait_file_exists(f["held2"]), "the c=0.0.0.0 hold was answered recvonly")
        time.sleep(0.1)
        check_held(*exchange(z, a2, caller_side, b, callee_side), "on hold (c=0.0.0.0)")
    finally:
        ruac, ruas = uac.finish(), uas.finish()
        for s in (a, a2, b):
            s.close()
    try:
        check(ruac.ok, "UAC: " + ruac.describe() + z.log_text()[-3000:])
        check(ruas.ok, "UAS: " + ruas.describe())
        # The hang-up events carry each leg's RTP statistics.
        hangups = w.wait(lambda ev: len([e for e in ev if e["type"] == "ChannelHangup"]) >= 2)
        hangups = [e for e in hangups if e["type"] == "ChannelHangup"]
        check(len(hangups) >= 2, "two hang-ups: %r" % hangups)
        for e in hangups:
            check(int(e.get("rtp_packets_received", "0")) >= 40 and "rtp_jitter_ms" in e and
                  "rtp_packets_lost" in e, "RTP stats in the hang-up event: %r" % e)
    finally:
        w.close()


def own_media(sock, dest, seconds=0.8):
    """Sends the caller's 20 ms packets from `sock` for `seconds`; the audio packets it gets."""
    drain(sock)
    got = []
    start = time.monotonic()
    for i in range(int(seconds / 0.02)):  # bounded: one packet per 20 ms
        sock.sendto(rtp_packet(0, 900 + i, 160 * i, 0x3333, CALLER), dest)
        got += available(sock)
        time.sleep(max(0, start + 0.02 * (i + 1) - time.monotonic()))
    time.sleep(0.1)
    got += available(sock)
    return [p for _, p in got if p["pt"] == 0]


def test_hold_outside_a_bridge(z):
    """A caller in MusicOnHold() or Echo() (no bridge) holds with a=sendonly: zvon answers
    recvonly and sends it nothing until the re-INVITE back to sendrecv, then sends again, to
    the new port that re-INVITE names; the c=0.0.0.0 hold stops it again."""
    for service, app in (("7300", "MusicOnHold()"), ("600", "Echo()")):
        a, a2 = udp_socket(), udp_socket()
        work = tempfile.mkdtemp(prefix="hold-app-", dir=z.dir)
        f = {k: os.path.join(work, k) for k in ("uac", "held", "resumed", "held2")}
        uac = holding_caller(z, service, a, a2, f)
        try:
            zvon_side = wait_file(f["uac"])
            if not zvon_side:
                raise AssertionError("the call to %s was not set up:\n%s\n%s"
                                     % (app, uac.finish().describe(), z.log_text()[-3000:]))
            got = own_media(a, zvon_side)
            check(len(got) >= 20, "%s: the caller gets media before hold (%d packets)" % (app, len(got)))
            if app == "Echo()":
                check(all(p["payload"] == CALLER for p in got), "Echo() sends the caller back")
            check(wait_file_exists(f["held"]), "%s: the hold re-INVITE was answered recvonly" % app)
            time.sleep(0.1)
            got = own_media(a, zvon_side)
            check(not got, "%s: nothing is sent to the holding caller (got %d packets)" % (app, len(got)))
            check(wait_file_exists(f["resumed"]), "%s: the unhold re-INVITE was answered sendrecv" % app)
            time.sleep(0.1)
            got = own_media(a2, zvon_side)
            check(len(got) >= 20, "%s: media resumes to the caller's new port (%d packets)" % (app, len(got)))
            check(wait_file_exists(f["held2"]), "%s: the c=0.0.0.0 hold was answered recvonly" % app)
            time.sleep(0.1)
            got = own_media(a2, zvon_side)
            check(not got, "%s: nothing is sent on the c=0.0.0.0 hold (got %d packets)" % (app, len(got)))
        finally:
            r = uac.finish()
            a.close()
            a2.close()
        check(r.ok, "%s: UAC: %s%s" % (app, r.describe(), z.log_text()[-3000:]))


def test_call_starting_on_hold(z):
    """An INVITE whose offer is already a=sendonly (a phone that calls on hold) into Echo():
    zvon answers a=recvonly and sends nothing back, while it still hears the caller (its '#',
    sent as SIP INFO, ends the Echo and the call)."""
    from test_dtmf import TE_FORMATS, info_request, run_call
    echoed = []

    def during(media):
        sock = udp_socket()
        try:
            echoed.extend(own_media(sock, media))
        finally:
            sock.close()

    # The '#' comes after the 0.8 s in which the caller's packets would have been echoed.
    actions = '  <pause milliseconds="1500"/>\n' + info_request(3, "application/dtmf-relay",
                                                            "Signal=#\n      Duration=160", 200)
    r = run_call(z, actions,
                 (TE_FORMATS[0], TE_FORMATS[1] + "\n      a=sendonly"), service="600", during=during)
    check(r.ok, "the call, ended by zvon after '#': " + r.describe() + z.log_text()[-3000:])
    answer = [m for m in r.messages.split("SIP/2.0 200 OK")[1:] if "m=audio" in m]
    check(answer and "a=recvonly" in answer[0], "the 200 OK answers recvonly:\n" + r.messages[-3000:])
    check(not echoed, "Echo() sent %d packets to a caller that offered sendonly" % len(echoed))


def wait_file_exists(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def test_moh_classes_command(z):
    status, out = z.rx("moh show classes")
    check(status == 0 and "Class: default" in out and "files: 2" in out, out)


def test_moh_reload_error_keeps_the_classes(z):
    good = z.read_etc("musiconhold.conf")
    try:
        z.write_etc("musiconhold.conf", good + "\n[radio]\nmode = stream\ndirectory = moh/default\n")
        status, out = z.rx("module reload res_musiconhold")
        check(status == 1 and re.search(r"musiconhold\.conf:\d+", out) and "mode" in out,
              "a bad mode is refused with file:line: " + out)
        z.write_etc("musiconhold.conf", good + "\n[empty]\ndirectory = /nonexistent-moh-dir\n")
        status, out = z.rx("module reload res_musiconhold")
        check(status == 1 and "not a directory" in out, "a missing directory is refused: " + out)
        status, out = z.rx("moh show classes")
        check(status == 0 and "Class: default" in out and "1 class" in out, "the old classes stay: " + out)
    finally:
        z.write_etc("musiconhold.conf", good)
    z.write_etc("musiconhold.conf", good + "\n[again]\ndirectory = moh/default\nsort = random\n")
    try:
        status, out = z.rx("module reload res_musiconhold")
        check(status == 0, out)
        status, out = z.rx("moh show classes")
        check("Class: again" in out and "sort: random" in out and "2 classes" in out, out)
    finally:
        z.write_etc("musiconhold.conf", good)
        z.rx("module reload res_musiconhold")


# Apps that are not a bridge, for a caller that holds.
HOLD_DIALPLAN = DIALPLAN + """
exten => 7300,1,Answer()
 same => n,MusicOnHold()
"""

if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": HOLD_DIALPLAN},
              zvon_general={"log_level": "verbose"}) as zvon:
        run_tests([
            test_moh_classes_command,
            test_moh_reload_error_keeps_the_classes,
            test_hold_plays_music_and_unhold_resumes,
            test_hold_outside_a_bridge,
            test_call_starting_on_hold,
        ], zvon)
