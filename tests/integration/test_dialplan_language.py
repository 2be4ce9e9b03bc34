"""The dialplan language on real calls: sipp callers 101, 102 and 103 call 700 through zvon,
and the dialplan routes each by ${CALLERID(num)} with $[...] expressions, GotoIf, Gosub with
arguments, ExecIf, Busy and Congestion; each caller gets the answer its route ends in
(404 / 486 / 503). Also the console tooling on the running daemon: dialplan check, route,
trace (the traced priorities with expanded arguments reach the log)."""
import os

from sip_test_common import SECRETS
from zvon_harness import Zvon, check, run_sipp, run_tests
from test_sip_call import fill_template, no_channels, channel_count

DIALPLAN = """
[globals]
BUSY_CODE=486

[internal]
exten => 700,1,Set(N=${CALLERID(num)})
 same => n,GotoIf($[${N} = 101]?unknown)
 same => n,GotoIf($["${N}" =~ "^10[0-9]$" & $[${N} % 2] = 1]?congested)
 same => n,Gosub(refuse,s,1(${BUSY_CODE},${N}))
 same => n,Hangup()
 same => n(unknown),Gosub(refuse,s,1(404))
 same => n(congested),Congestion()

[refuse]
exten => s,1,Set(LOCAL(code)=${ARG1})
 same => n,ExecIf($[${code} = 486]?Busy())
 same => n,Hangup(1)
"""


def call_expecting(z, caller, code):
    uac = run_sipp(fill_template("uac_fail.xml.in", CODE=code), "127.0.0.1:%d" % z.sip_port,
                   user=caller, password=SECRETS[caller], service="700", timeout=20,
                   work_dir=z.dir, extra_keys={"caller": caller, "rtp_port": 4000})
    check(uac.ok, "caller %s expecting %d: %s\n%s" % (caller, code, uac.describe(),
                                                       z.log_text()[-3000:]))
    check(no_channels(z), "channels left: " + channel_count(z))


def test_routing_by_caller_id(z):
    status, out = z.rx("dialplan trace on all")
    check(status == 0, out)
    call_expecting(z, "101", 404)   # GotoIf to a label, Gosub with an argument, Hangup(1)
    call_expecting(z, "102", 486)   # Gosub with a global as argument, LOCAL(), ExecIf(Busy)
    call_expecting(z, "103", 503)   # $[... =~ ... & ... % ...] then Congestion
    check(z.wait_log(r"\[700@internal:3\] GotoIf\(3\?congested\)"),
          "the trace of caller 103's expression: " + z.log_text()[-2000:])
    check(z.wait_log(r"\[s@refuse:2\] ExecIf\(1\?Busy\(\)\)"), "the trace of caller 102's Gosub")
    status, out = z.rx("dialplan trace off all")
    check(status == 0, out)


def test_route_and_check_on_the_console(z):
    status, out = z.rx("dialplan route internal 700 caller=102")
    check(status == 0, out)
    check("[700@internal:4] Gosub(refuse,s,1(486,102))" in out, out)
    check("the call ends up here: Busy() at s@refuse:2" in out, out)
    status, out = z.rx("dialplan check")
    check(status == 0 and "no errors found" in out, out)
    z.write_dialplan("bad.conf", "[x]\nexten => 1,1,Gotoif($[1]?nowhere)\n same => n,Dial(SIP/1\n")
    status, out = z.rx("dialplan check bad.conf")
    check(status == 1, out)
    check("bad.conf:3:16: missing ')' to close 'Dial(SIP/1'" in out, out)


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}) as zvon:
        run_tests([test_routing_by_caller_id, test_route_and_check_on_the_console], zvon)
