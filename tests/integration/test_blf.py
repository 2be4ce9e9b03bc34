"""Busy lamp fields: a sipp phone SUBSCRIBEs (Event: dialog) to 101's hint and sees a call to
101 ring (early), be answered (confirmed) and end (terminated), then unsubscribes with
Expires: 0; presence (PIDF) subscriptions; the refusals (404 no hint, 489 bad event, 403
wrong password, 406 Accept, 423 Expires too brief, 503 past maxsubscriptions); a refresh; a
NOTIFY answered 481 drops its subscription; a dialplan reload that removes the hint, and
unloading
chan_sip ends every subscription with a NOTIFY; ${DEVICE_STATE()} and ${EXTENSION_STATE()}
follow a device's registration."""
import os
import re
import tempfile
import time

from sip_test_common import DIALPLAN, SECRETS, wait_file
from zvon_harness import SipClient, Zvon, check, free_port, run_sipp, run_tests, wait_port_taken

BLF_DIALPLAN = DIALPLAN + """exten => 101,hint,SIP/101
exten => 102,hint,SIP/102
exten => 900,1,NoOp(${DEVICE_STATE(SIP/102)}|${EXTENSION_STATE(102)})
"""


def route_900(z):
    status, out = z.rx("dialplan route internal 900")
    check(status == 0, out)
    m = re.search(r"NoOp\(([A-Z_]+\|[A-Z_]+)\)", out)
    check(m, out)
    return m.group(1)


def hint_line(z, exten):
    status, out = z.rx("dialplan show hints")
    check(status == 0, out)
    for line in out.splitlines():
        if line.startswith(exten + "@internal"):
            return line
    raise AssertionError("no hint %s in:\n%s" % (exten, out))


def register(z, user, port, expires=120):
    with SipClient(z.sip_port) as c:
        _, final = c.register(user, SECRETS[user], expires=expires,
                              contact="sip:%s@127.0.0.1:%d" % (user, port))
        check(final is not None and final.status == 200, "REGISTER %s: %r" % (user, final))


def to_tag(response):
    m = re.search(r";tag=([^;>\s]+)", response.header("to") or "")
    check(m, "no To tag in %r" % response.raw)
    return m.group(1)


def subscribed(c, exten, event="dialog"):
    """SUBSCRIBEs as 102 with the right password; returns (the 202, the first NOTIFY)."""
    _, final = c.subscribe("102", SECRETS["102"], exten, event=event)
    check(final is not None and final.status == 202, "SUBSCRIBE %s: %r" % (exten, final))
    notify = c.recv_request("NOTIFY")
    check(notify is not None, "no NOTIFY after the 202")
    c.respond(notify)
    return final, notify


def unsubscribe(c, exten, accepted, event="dialog"):
    first, _ = c.subscribe("102", None, exten, event=event, expires=0, to_tag=to_tag(accepted))
    check(first is not None and first.status == 200, "unsubscribe: %r" % first)
    last = c.recv_request("NOTIFY")
    check(last is not None and "terminated" in (last.header("subscription-state") or ""),
          "the last NOTIFY: %r" % (last and last.raw))
    c.respond(last)
    return last


def test_device_state_follows_registration(z):
    check(route_900(z) == "UNAVAILABLE|UNAVAILABLE", route_900(z))
    port = free_port("udp")
    register(z, "102", port)
    check(z.wait_for(lambda: route_900(z) == "NOT_INUSE|NOT_INUSE"), route_900(z))
    register(z, "102", port, expires=0)
    check(z.wait_for(lambda: route_900(z) == "UNAVAILABLE|UNAVAILABLE"), route_900(z))
    check("State:Unavailable" in hint_line(z, "102"), hint_line(z, "102"))


def test_dialog_notifies_through_a_call(z):
    work = tempfile.mkdtemp(prefix="blf-", dir=z.dir)
    sub_info, uac_info, uas_info = (os.path.join(work, n) for n in ("sub", "uac", "uas"))
    uas_port = free_port("udp")
    register(z, "101", uas_port)
    sub = run_sipp("subscribe_dialog.xml", "127.0.0.1:%d" % z.sip_port, user="102",
                   password=SECRETS["102"], service="101", timeout=40, background=True,
                   work_dir=z.dir, extra_keys={"subscriber": "102", "info_file": sub_info})
    uas = uac = None
    try:
        if not wait_file(sub_info):
            raise AssertionError("the subscriber got no first NOTIFY:\n" + sub.finish().describe())
        check("Watchers:1" in hint_line(z, "101"), hint_line(z, "101"))
        # 103 calls 101; the phone at 101 rings 1.5 s (sipp -d), answers, the caller hangs up
        # after 4 s.
        uas = run_sipp("uas_answer.xml", None, local_port=uas_port, timeout=30, background=True,
                       args=["-d", "1500"], work_dir=z.dir,
                       extra_keys={"rtp_port": free_port("udp"), "info_file": uas_info})
        check(wait_port_taken(uas_port), "the UAS sipp did not start")
        uac = run_sipp("uac_call.xml", "127.0.0.1:%d" % z.sip_port, user="103",
                       password=SECRETS["103"], service="101", timeout=30, background=True,
                       work_dir=z.dir,
                       extra_keys={"caller": "103", "rtp_port": free_port("udp"),
                                   "info_file": uac_info})
        check(wait_file(uac_info), "the call was not answered")
        check("State:InUse" in hint_line(z, "101"), hint_line(z, "101"))
    finally:
        results = [(name, p.finish()) for name, p in (("UAC", uac), ("UAS", uas), ("subscriber", sub))
                   if p is not None]
    for name, r in results:
        check(r.ok, "%s: %s" % (name, r.describe()))
    check(z.wait_for(lambda: "Watchers:0" in hint_line(z, "101")), hint_line(z, "101"))
    check("State:Idle" in hint_line(z, "101"), hint_line(z, "101"))


def test_presence_subscription(z):
    with SipClient(z.sip_port) as c:
        accepted, notify = subscribed(c, "101", event="presence")
        check((notify.header("content-type") or "").startswith("application/pidf+xml"), notify.raw)
        check("<basic>open</basic>" in notify.body and "<note>Ready</note>" in notify.body,
              notify.body)
        check("active" in (notify.header("subscription-state") or ""), notify.raw)
        # A refresh: 200, and the state again.
        first, _ = c.subscribe("102", None, "101", event="presence", to_tag=to_tag(accepted))
        check(first is not None and first.status == 200, "refresh: %r" % first)
        again = c.recv_request("NOTIFY")
        check(again is not None and "<basic>open</basic>" in again.body, "NOTIFY after the refresh")
        c.respond(again)
        unsubscribe(c, "101", accepted, event="presence")


def test_failed_notify_drops_the_subscription(z):
    with SipClient(z.sip_port) as c:
        subscribed(c, "102")
        check("Watchers:1" in hint_line(z, "102"), hint_line(z, "102"))
        register(z, "102", free_port("udp"))  # 102 comes up: a NOTIFY, which the phone refuses
        notify = c.recv_request("NOTIFY")
        check(notify is not None and "<state>terminated</state>" in notify.body, "no NOTIFY")
        c.respond(notify, 481, "Subscription Does Not Exist")
        check(z.wait_for(lambda: "Watchers:0" in hint_line(z, "102")), hint_line(z, "102"))
    register(z, "102", free_port("udp"), expires=0)


def test_refusals(z):
    with SipClient(z.sip_port) as c:
        _, final = c.subscribe("102", SECRETS["102"], "600")  # an extension without a hint
        check(final is not None and final.status == 404, "no hint: %r" % final)
    with SipClient(z.sip_port) as c:
        first, _ = c.subscribe("102", SECRETS["102"], "101", event="message-summary")
        check(first is not None and first.status == 489, "bad event: %r" % first)
        allow = (first.header("allow-events") or "").replace(" ", "")
        check("dialog" in allow and "presence" in allow, "489 without Allow-Events: %r" % first.raw)
    with SipClient(z.sip_port) as c:
        first, final = c.subscribe("102", "not-the-secret", "101")
        check(first is not None and first.status == 407, "challenge: %r" % first)
        check(final is not None and final.status == 403, "wrong password: %r" % final)
    with SipClient(z.sip_port) as c:
        _, final = c.subscribe("102", SECRETS["102"], "101", accept="application/pidf+xml")
        check(final is not None and final.status == 406, "dialog without its type in Accept: %r" % final)
    with SipClient(z.sip_port) as c:
        _, final = c.subscribe("102", SECRETS["102"], "101", expires=10)
        check(final is not None and final.status == 423 and final.header("min-expires") == "60",
              "Expires 10: %r" % (final and final.raw))
    check("Watchers:0" in hint_line(z, "101"), hint_line(z, "101"))


def test_subscriptions_are_bounded(z):
    # sip.conf maxsubscriptions = 2 in this run.
    clients = [SipClient(z.sip_port) for _ in range(3)]
    try:
        accepted = [subscribed(c, "101")[0] for c in clients[:2]]
        _, final = clients[2].subscribe("102", SECRETS["102"], "101")
        check(final is not None and final.status == 503, "past maxsubscriptions: %r" % final)
        for c, a in zip(clients, accepted):
            unsubscribe(c, "101", a)
    finally:
        for c in clients:
            c.close()
    check(z.wait_for(lambda: "Watchers:0" in hint_line(z, "101")), hint_line(z, "101"))


def test_reload_without_the_hint_ends_subscriptions(z):
    with SipClient(z.sip_port) as c:
        subscribed(c, "102")
        z.write_dialplan("extensions.conf", BLF_DIALPLAN.replace("exten => 102,hint,SIP/102\n", ""))
        try:
            status, out = z.rx("dialplan reload")
            check(status == 0, "reload: " + out)
            last = c.recv_request("NOTIFY")
            check(last is not None and "terminated" in (last.header("subscription-state") or ""),
                  "NOTIFY after the hint went: %r" % (last and last.raw))
            c.respond(last)
        finally:
            z.write_dialplan("extensions.conf", BLF_DIALPLAN)
            status, out = z.rx("dialplan reload")
            check(status == 0, "reload: " + out)
    check("Watchers:0" in hint_line(z, "102"), hint_line(z, "102"))


def test_unload_ends_subscriptions(z):
    with SipClient(z.sip_port) as c:
        subscribed(c, "101")
        # The phone answers nothing: unloading must not wait for it.
        started = time.monotonic()
        status, out = z.rx("module unload chan_sip")
        check(status == 0, "unload: " + out)
        check(time.monotonic() - started < 2.5, "unload waited %.1f s" % (time.monotonic() - started))
        last = c.recv_request("NOTIFY")
        check(last is not None and "terminated;reason=noresource" in
              (last.header("subscription-state") or ""), "NOTIFY at unload: %r" % (last and last.raw))
    check("Watchers:0" in hint_line(z, "101"), hint_line(z, "101"))
    # Without chan_sip nobody says whether SIP/102 is reachable.
    check(route_900(z) == "UNKNOWN|NOT_INUSE", route_900(z))
    status, out = z.rx("module load chan_sip")
    check(status == 0, "load: " + out)
    check(route_900(z) == "UNAVAILABLE|UNAVAILABLE", route_900(z))


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": BLF_DIALPLAN},
              sip_general={"maxsubscriptions": "2"}) as zvon:
        run_tests([
            test_device_state_follows_registration,
            test_dialog_notifies_through_a_call,
            test_presence_subscription,
            test_failed_notify_drops_the_subscription,
            test_refusals,
            test_subscriptions_are_bounded,
            test_reload_without_the_hint_ends_subscriptions,
            test_unload_ends_subscriptions,
        ], zvon)
