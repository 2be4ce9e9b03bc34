"""Configuration and dialplan errors: refused at start with file:line, and at reload the
running configuration stays."""

import re

from zvon_harness import Zvon, check, run_tests

GOOD_DIALPLAN = """
[internal]
exten => 700,1,Answer()
 same => n,Hangup()
"""


def test_bad_core_setting_refuses_start():
    z = Zvon(etc={"zvon.conf": "[general]\nworkers = lots\n"}, start=False)
    try:
        z.prepare()
        status = z.start(expect_failure=True)
        log = z.log_text()
        check(status == 1, "exit status %r, log:\n%s" % (status, log))
        check(re.search(r"zvon\.conf:\d+:\d+: workers must be a whole number", log),
              "no file:line for the bad setting:\n" + log)
    finally:
        z.cleanup()


def test_dialplan_error_refuses_start():
    broken = "[internal]\nexten => 700,1,Answer(\n"
    z = Zvon(dialplan={"extensions.conf": broken}, start=False)
    try:
        z.prepare()
        status = z.start(expect_failure=True)
        log = z.log_text()
        check(status == 1, "exit status %r, log:\n%s" % (status, log))
        check(re.search(r"extensions\.conf:2:\d+: ", log), "no file:line in:\n" + log)
    finally:
        z.cleanup()


def test_garbage_config_file_is_reported_not_crashed():
    # A module whose configuration is unreadable fails to load with the reason; the daemon
    # keeps running without it.
    with Zvon(etc={"sip.conf": "[general]\nport = 5060\nthis line is not ini\n"}) as z:
        status, out = z.rx("module show")
        check(status == 0, out)
        check("chan_sip" not in out, "chan_sip loaded with a broken sip.conf:\n" + out)
        check(re.search(r"sip\.conf:\d+:\d+: expected 'key = value'", z.log_text()),
              "no file:line in the log:\n" + z.log_text())
        status, out = z.rx("core show version")
        check(status == 0, out)


def test_dialplan_reload_error_keeps_running_dialplan():
    with Zvon(dialplan={"extensions.conf": GOOD_DIALPLAN}) as z:
        status, out = z.rx("dialplan show internal")
        check(status == 0 and "700" in out, out)

        z.write_dialplan("extensions.conf", GOOD_DIALPLAN + "exten => 701,n,Hangup(\n")
        status, out = z.rx("dialplan reload")
        check(status == 1, "a broken reload succeeded: %s" % out)
        check(re.search(r"extensions\.conf:5:\d+: ", out), "no file:line in: " + out)
        status, out = z.rx("dialplan show internal")
        check(status == 0 and "700" in out and "701" not in out, out)

        z.write_dialplan("extensions.conf", GOOD_DIALPLAN + "exten => 701,1,Hangup()\n")
        status, out = z.rx("dialplan reload")
        check(status == 0, out)
        status, out = z.rx("dialplan show internal")
        check("701" in out, out)


def test_module_reload_error_keeps_old_configuration():
    with Zvon() as z:
        status, out = z.rx("sip show peers")
        check(status == 0 and "101" in out, out)
        z.write_etc("sip.conf", z.read_etc("sip.conf") + "\n[104]\nsecret\n")
        status, out = z.rx("module reload chan_sip")
        check(status == 1, "a broken reload succeeded: " + out)
        check(re.search(r"sip\.conf:\d+:\d+: ", out), "no file:line in: " + out)
        status, out = z.rx("sip show peers")
        check(status == 0 and "101" in out and "104" not in out, out)


def test_jitter_buffer_settings_are_checked():
    # A jitter buffer whose maximum is below its minimum, or beyond what it can hold.
    with Zvon() as z:
        good = z.read_etc("rtp.conf")
        for bad, words in (({"jbminsize": 100, "jbmaxsize": 60}, "jbmaxsize (60 ms) is below jbminsize"),
                           ({"jbmaxsize": 5000}, "jbmaxsize")):
            text = good
            for key, value in bad.items():
                text = re.sub(r"(?m)^%s\s*=.*$" % key, "%s = %d" % (key, value), text)
            check(text != good, "rtp.conf names the jitter buffer settings:\n" + good)
            z.write_etc("rtp.conf", text)
            status, out = z.rx("module reload chan_sip")
            check(status == 1 and re.search(r"rtp\.conf:\d+(:\d+)?: ", out) and words in out,
                  "rtp.conf %r should be refused with file:line: %s" % (bad, out))
        z.write_etc("rtp.conf", good)


if __name__ == "__main__":
    run_tests([
        test_bad_core_setting_refuses_start,
        test_dialplan_error_refuses_start,
        test_garbage_config_file_is_reported_not_crashed,
        test_dialplan_reload_error_keeps_running_dialplan,
        test_module_reload_error_keeps_old_configuration,
        test_jitter_buffer_settings_are_checked,
    ])
