"""The demo's voice menu (dialplan/extensions.conf, 700) called by sipp, with the keys sent
as RFC 4733 events from the caller's RTP socket: 1 reaches sales (a sipp UAS registered as
101 gets the call), no key goes to the operator default through t after WaitExten's 5 s, an
unknown key goes to i and back to the menu, and the information menu's Read takes an account
number whose digits pick the extension the call goes on in; SayDigits says the caller's
number. The menu is heard: zvon's RTP carries the prompts. Each step is seen in zvon's verbose log ("Executing [exten@context:N]")."""
import os
import re
import socket
import struct
import tempfile
import time
from datetime import datetime

from sip_test_common import SECRETS, fill_template, rtp_packet
from test_dtmf import TE_FORMATS
from zvon_harness import (SOURCE_DIR, SipClient, Zvon, check, free_port, run_sipp,
                          run_tests, wait_port_taken)

LOG_TIME = "%Y-%m-%d %H:%M:%S.%f"


class MenuCall:
    """One sipp call to the menu, with the caller's RTP socket in the test's hands."""
    EVENTS = {str(d): d for d in range(10)}
    EVENTS.update({"*": 10, "#": 11})

    def __init__(self, z, caller, hold_ms):
        self.z = z
        self.caller = caller
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.settimeout(0.2)
        self.seq = 1000
        self.ts = 8000
        self.log_from = len(z.log_text())
        self.work = tempfile.mkdtemp(prefix="menu-", dir=z.dir)
        self.info = os.path.join(self.work, "uac")
        self.sipp = run_sipp(
            fill_template("uac_menu.xml.in", HOLD_MS=hold_ms, FORMATS=TE_FORMATS[0],
                          RTPMAP=TE_FORMATS[1]), "127.0.0.1:%d" % z.sip_port,
            user=caller, password=SECRETS[caller], service="700", timeout=hold_ms / 1000 + 20,
            background=True, work_dir=z.dir,
            extra_keys={"caller": caller, "rtp_port": self.rtp.getsockname()[1],
                        "info_file": self.info})
        self.zvon_rtp = self._wait_info()
        self.channel = self._channel_name()

    def _wait_info(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.info):
                parts = open(self.info).read().split()
                if len(parts) == 2:
                    return parts[0], int(parts[1])
            time.sleep(0.05)
        raise AssertionError("the call to 700 was not answered:\n" + self.sipp.finish().describe()
                             + "\n" + self.z.log_text()[-3000:])

    def _channel_name(self):
        # Only the log written since this call began: earlier calls from the same phone are
        # in it too.
        pattern = r"Executing \[700@internal:1\] GotoIfTime\(\"(SIP/%s-[0-9a-f]+)\"" % self.caller
        names = self.z.wait_for(lambda: re.findall(pattern, self.log()), timeout=5)
        check(names, "this call's Goto into the menu is not in the log")
        return names[-1]

    def log(self):
        return self.z.log_text()[self.log_from:]

    def steps(self):
        """[(time, "exten@context:N", app, args)] this call executed, in order."""
        out = []
        pattern = (r"^\[(\S+ \S+)\].*Executing \[([^\]]+)\] (\w+)\(\"%s\", \"(.*)\"\)$"
                   % re.escape(self.channel))
        for m in re.finditer(pattern, self.log(), re.M):
            out.append((datetime.strptime(m.group(1), LOG_TIME), m.group(2), m.group(3),
                        m.group(4)))
        return out

    def wait_step(self, place, app=None, timeout=10.0, count=1):
        """Waits (bounded) until the call has executed `place` (`count` times)."""
        def seen():
            hits = [s for s in self.steps() if s[1] == place and (app is None or s[2] == app)]
            return hits if len(hits) >= count else None
        hits = self.z.wait_for(seen, timeout=timeout, interval=0.1)
        check(hits, "%s never ran %s; it ran:\n%s\n%s" % (
            self.channel, place, "\n".join(str(s[1:]) for s in self.steps()),
            self.z.log_text()[-2000:]))
        return hits[count - 1]

    def press(self, keys):
        """Each key as an RFC 4733 event: three updates, then the end packet three times."""
        for key in keys:
            event = self.EVENTS[key]
            self.ts += 1600
            for i, end in enumerate([False, False, False, True, True, True]):
                duration = 400 * min(i + 1, 4)
                payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
                self.seq += 1
                self.rtp.sendto(rtp_packet(101, self.seq, self.ts, 0x4d454e55, payload,
                                           marker=(i == 0)), self.zvon_rtp)
                time.sleep(0.02)
            time.sleep(0.1)

    def audio_packets(self, seconds):
        """How many audio packets zvon sends us within `seconds` (it plays a prompt)."""
        n = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data, _ = self.rtp.recvfrom(2048)
            except socket.timeout:
                continue
            if len(data) > 12 and data[1] & 0x7f == 0:
                n += 1
        return n

    def finish(self):
        result = self.sipp.finish()
        self.rtp.close()
        check(result.ok, "the caller's sipp: " + result.describe())
        return result


def register(z, user, port):
    with SipClient(z.sip_port) as c:
        first, final = c.register(user, SECRETS[user], expires=120,
                                  contact="sip:%s@127.0.0.1:%d" % (user, port))
        check(final is not None and final.status == 200, "registering %s: %r" % (user, final))


STATE = {}


def test_start_a_call_that_presses_nothing(z):
    # Runs alongside the next tests: the menu takes a while before WaitExten's 5 s begin.
    STATE["quiet"] = MenuCall(z, "102", hold_ms=30000)


def test_key_1_during_the_menu_reaches_sales(z):
    uas_port = free_port("udp")
    callee_rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee_rtp.bind(("127.0.0.1", 0))
    uas_info = os.path.join(z.dir, "sales-uas")
    register(z, "101", uas_port)
    uas = run_sipp("uas_answer.xml", None, local_port=uas_port, timeout=30, background=True,
                   extra_keys={"rtp_port": callee_rtp.getsockname()[1], "info_file": uas_info},
                   work_dir=z.dir)
    check(wait_port_taken(uas_port), "the UAS sipp did not start")
    call = MenuCall(z, "103", hold_ms=8000)
    try:
        menu = call.wait_step("s@ivr-main:2", "Background")
        check(call.audio_packets(0.6) >= 10, "the menu prompt is not heard")
        call.press("1")
        sales = call.wait_step("1@ivr-main:1", "Playback")
        # The two prompts of the menu last about 7 s: the key cut them short.
        check((sales[0] - menu[0]).total_seconds() < 4, "the key did not stop the menu")
        dial = call.wait_step("1@ivr-main:2", "Dial", timeout=10)
        check(dial[3].startswith("SIP/101"), "sales dials %s" % dial[3])
        check(z.wait_for(lambda: os.path.exists(uas_info), timeout=8),
              "101 (sales) was not rung:\n" + z.log_text()[-2000:])
    finally:
        call.finish()
        r = uas.finish()
        callee_rtp.close()
    check(r.ok, "sales (101): " + r.describe())


def test_unknown_key_goes_to_i_and_back_to_the_menu(z):
    call = MenuCall(z, "103", hold_ms=6000)
    try:
        call.wait_step("s@ivr-main:2", "Background")
        call.press("9")
        wait = call.wait_step("s@ivr-main:3", "WaitExten")
        invalid = call.wait_step("i@ivr-main:1", "Playback")
        check(invalid[3] == "ivr-invalid", invalid)
        call.wait_step("s@ivr-main:2", "Background", count=2)
        check((invalid[0] - wait[0]).total_seconds() < 2, "i came late: %s" % (invalid,))
    finally:
        call.finish()


def test_read_takes_an_account_number_that_routes_the_call(z):
    call = MenuCall(z, "103", hold_ms=10000)
    try:
        call.wait_step("s@ivr-main:2", "Background")
        call.press("2")
        call.wait_step("s@ivr-info:1", "Background")
        call.press("2")
        read = call.wait_step("2@ivr-info:1", "Read")
        check(read[3] == "ACCOUNT,ivr-enter-account,4,,2,5", read)
        call.press("1234")
        call.wait_step("1234#@ivr-account:1", "Playback")
        say = call.wait_step("1234#@ivr-account:2", "SayNumber")
        check(say[3] == "1234", say)
        call.wait_step("1234#@ivr-account:3", "Goto", timeout=15)
        check("cannot say" not in call.log(), "a number prompt is missing:\n" + call.log()[-2000:])
    finally:
        call.finish()


def test_information_menu_says_the_callers_number(z):
    call = MenuCall(z, "103", hold_ms=7000)
    try:
        call.wait_step("s@ivr-main:2", "Background")
        call.press("2")
        call.wait_step("s@ivr-info:1", "Background")
        call.press("1")
        say = call.wait_step("1@ivr-info:2", "SayDigits")
        check(say[3] == "103", "SayDigits says %r, not the caller's number" % say[3])
        heard = call.audio_packets(1.0)
        check(heard >= 30, "only %d packets of speech" % heard)
        call.wait_step("1@ivr-info:3", "Goto", timeout=10)
        check("cannot say" not in call.log(), "a digit prompt is missing:\n" + call.log()[-2000:])
    finally:
        call.finish()


def test_no_key_goes_to_the_operator_after_5_seconds(z):
    call = STATE["quiet"]
    try:
        wait = call.wait_step("s@ivr-main:3", "WaitExten", timeout=20)
        t = call.wait_step("t@ivr-main:1", "Goto", timeout=10)
        waited = (t[0] - wait[0]).total_seconds()
        check(4.8 <= waited <= 8, "t came %.2f s after WaitExten(5)" % waited)
        dial = call.wait_step("0@ivr-main:2", "Dial", timeout=10)
        check(dial[3].startswith("SIP/102"), "the operator default dials %s" % dial[3])
    finally:
        call.finish()


def test_route_with_digits_walks_the_menu_on_the_console(z):
    # The same menu as the calls above, as a dry run: 2 (information), 2 (account), 1234.
    status, out = z.rx("dialplan route internal 700 digits=2,2,1234")
    check(status == 0, out)
    for line in ["keys '2' dial 2@ivr-main", "keys '2' dial 2@ivr-info",
                 "keys '1234': ACCOUNT=1234", "[1234#@ivr-account:1] Playback(ivr-account-is)",
                 "no keys left: WaitExten times out", "-> t@ivr-main"]:
        check(line in out, "missing %r in:\n%s" % (line, out))
    check(out.rstrip().endswith("at 0@ivr-main:2"), out)
    check("the call ends up here: Dial(SIP/102" in out, out)
    status, out = z.rx('dialplan route internal 700 "digits=9 1"')
    check(status == 0, out)
    check("-> i@ivr-main (INVALID_EXTEN=9)" in out and "keys '1' dial 1@ivr-main" in out, out)
    check("the call ends up here: Dial(SIP/101" in out, out)


if __name__ == "__main__":
    # The calls must find the menu open whatever the hour the test runs at.
    with open(os.path.join(SOURCE_DIR, "dialplan", "extensions.conf")) as f:
        demo = f.read()
    check("OFFICE_HOURS=" in demo, "the demo dialplan has no OFFICE_HOURS")
    demo = re.sub(r"(?m)^OFFICE_HOURS=.*$", "OFFICE_HOURS=*,*,*,*", demo)
    with Zvon(zvon_general={"log_level": "verbose"}, dialplan={"extensions.conf": demo}) as zvon:
        run_tests([
            test_start_a_call_that_presses_nothing,
            test_key_1_during_the_menu_reaches_sales,
            test_unknown_key_goes_to_i_and_back_to_the_menu,
            test_read_takes_an_account_number_that_routes_the_call,
            test_information_menu_says_the_callers_number,
            test_no_key_goes_to_the_operator_after_5_seconds,
            test_route_with_digits_walks_the_menu_on_the_console,
        ], zvon)
