"""chan_sip registrar: digest auth with sipp and a raw client, unknown users answered exactly
like wrong passwords, expiry, un-registration, console listing."""
import time

from sip_test_common import DIALPLAN, SECRETS, response_shape, sipp_received, masked_auth
from zvon_harness import SipClient, Zvon, check, run_tests


def registrations(z):
    status, out = z.rx("sip show registrations")
    check(status == 0, "sip show registrations failed: " + out)
    return out


def test_sipp_right_password_registers(z):
    r = z.sipp("register_ok.xml", user="101", password=SECRETS["101"], timeout=15)
    check(r.ok, r.describe())
    out = registrations(z)
    check("101 " in out and "sip:101@127.0.0.1" in out, out)
    status, peers = z.rx("sip show peers")
    check(status == 0 and "Registered" in peers, peers)


def test_sipp_register_over_tcp(z):
    r = z.sipp("register_ok.xml", user="103", password=SECRETS["103"], transport="t1", timeout=15)
    check(r.ok, r.describe())
    out = registrations(z)
    check("sip:103@127.0.0.1" in out and "tcp" in out.lower(), out)


def test_sipp_wrong_password_and_unknown_user_look_alike(z):
    wrong = z.sipp("register_forbidden.xml", user="102", password="not-the-secret", timeout=15)
    check(wrong.ok, wrong.describe())
    unknown = z.sipp("register_forbidden.xml", user="999", password="whatever", timeout=15)
    check(unknown.ok, unknown.describe())
    a = sipp_received(wrong.messages)
    b = sipp_received(unknown.messages)
    check([s for s, _ in a] == ["SIP/2.0 401 Unauthorized", "SIP/2.0 403 Forbidden"], a)
    check([s for s, _ in a] == [s for s, _ in b], (a, b))
    for (_, ha), (_, hb) in zip(a, b):
        check(sorted(ha) == sorted(hb), (sorted(ha), sorted(hb)))
        check(masked_auth(ha.get("www-authenticate")) == masked_auth(hb.get("www-authenticate")),
              (ha.get("www-authenticate"), hb.get("www-authenticate")))
    check("102 " not in registrations(z), "a wrong password registered 102")


def test_raw_client_challenges_identical(z):
    for transport in ("udp", "tcp"):
        with SipClient(z.sip_port, transport) as c1, SipClient(z.sip_port, transport) as c2:
            w1, w2 = c1.register("102", "bad-password")
            u1, u2 = c2.register("424242", "bad-password")
            check(w1 is not None and w1.status == 401, w1)
            check(w2 is not None and w2.status == 403, w2)
            check(response_shape(w1) == response_shape(u1), (w1.raw, u1.raw))
            check(response_shape(w2) == response_shape(u2), (w2.raw, u2.raw))
            check('algorithm=MD5' in (w1.header("www-authenticate") or ""), w1.raw)


def test_raw_client_register_and_unregister(z):
    with SipClient(z.sip_port) as c:
        first, final = c.register("102", SECRETS["102"], expires=60)
        check(first.status == 401 and final is not None and final.status == 200, final)
        check("expires=" in (final.header("contact") or ""), final.raw)
        check("sip:102@127.0.0.1:%d" % c.local_port in registrations(z), registrations(z))
        first, final = c.register("102", SECRETS["102"], expires=0)
        check(final is not None and final.status == 200, final)
        check("sip:102@127.0.0.1:%d" % c.local_port not in registrations(z), registrations(z))


def test_username_must_match_the_aor(z):
    with SipClient(z.sip_port) as c:
        # 101's password cannot register a contact for 102.
        first, final = c.register("102", SECRETS["101"], auth_user="101")
        check(final is not None and final.status == 403, final)


def test_interval_too_brief(z):
    with SipClient(z.sip_port) as c:
        first, final = c.register("101", SECRETS["101"], expires=1)
        check(final is not None and final.status == 423, final)
        check(final.header("min-expires") == "2", final.raw)


def test_registration_expires(z):
    with SipClient(z.sip_port) as c:
        first, final = c.register("103", SECRETS["103"], expires=2)
        check(final is not None and final.status == 200, final)
        contact = "sip:103@127.0.0.1:%d" % c.local_port
        check(contact in registrations(z), registrations(z))
        gone = z.wait_for(lambda: contact not in registrations(z), timeout=6)
        check(gone, "the registration did not expire: " + registrations(z))
        check(z.wait_log(r"registration of .*%d.* expired" % c.local_port, 2), z.log_text()[-2000:])


def test_reload_keeps_registrations_and_rejects_bad_config(z):
    with SipClient(z.sip_port) as c:
        first, final = c.register("101", SECRETS["101"], expires=60)
        check(final is not None and final.status == 200, final)
    good = z.read_etc("sip.conf")
    z.write_etc("sip.conf", good + "\n[104](phone)\nsecret = 104secret\n")
    status, out = z.rx("module reload chan_sip")
    check(status == 0, out)
    status, peers = z.rx("sip show peers")
    check("104" in peers, peers)
    check("sip:101@" in registrations(z), "reload dropped the registrations")
    z.write_etc("sip.conf", good + "\n[105]\ntype = endpoint\n")  # no secret: an error
    status, out = z.rx("module reload chan_sip")
    check(status != 0 and "sip.conf:" in out and "secret" in out, out)
    status, peers = z.rx("sip show peers")
    check("104" in peers, "a failed reload replaced the configuration: " + peers)
    with SipClient(z.sip_port) as c:
        first, final = c.register("104", "104secret", expires=60)
        check(final is not None and final.status == 200, final)


if __name__ == "__main__":
    with Zvon(dialplan={"extensions.conf": DIALPLAN}, sip_general={"minexpiry": "2"}) as zvon:
        run_tests([
            test_sipp_right_password_registers,
            test_sipp_register_over_tcp,
            test_sipp_wrong_password_and_unknown_user_look_alike,
            test_raw_client_challenges_identical,
            test_raw_client_register_and_unregister,
            test_username_must_match_the_aor,
            test_interval_too_brief,
            test_registration_expires,
            test_reload_keeps_registrations_and_rejects_bad_config,
        ], zvon)
