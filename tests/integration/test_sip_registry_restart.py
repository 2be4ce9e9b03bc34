"""Registrations survive a restart: a phone registers, zvon stops and starts again with the
same PostgreSQL, the binding is restored (seconds left, where it came from), a call to the
phone reaches it without a new REGISTER, and an unregistered phone stays gone."""
import os
import re

from cdr_test_common import DIALPLAN, Phones, call_batch, register, sip_conf
from pgsql_test_common import PrivatePostgres
from zvon_harness import SipClient, Zvon, check, free_port, run_tests, zvon_stops_cleanly
from sip_test_common import SECRETS


def registrations(z):
    status, out = z.rx("sip show registrations")
    check(status == 0, out)
    return out


def test_registrations_survive_restart():
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}, etc={"sip.conf": sip_conf()}) as z:
        pg = PrivatePostgres(os.path.join(z.dir, "var"))
        with pg:
            z.start()
            check(z.wait_for(lambda: "0 bindings restored" in registrations(z), timeout=20), registrations(z))
            phones = Phones(z, answered=1)  # 102: a sipp that answers one call
            gone_port = free_port("udp")
            register(z, "103", gone_port)
            with SipClient(z.sip_port) as c:
                _, final = c.register("103", SECRETS["103"], expires=0,
                                      contact="sip:103@127.0.0.1:%d" % gone_port)
                check(final is not None and final.status == 200, repr(final))
            check(z.wait_for(lambda: pg.scalar("SELECT count(*) FROM sip_registrations") == "1", timeout=10),
                  pg.psql("SELECT * FROM sip_registrations"))

            z.stop()
            z.start()
            check(z.wait_for(lambda: "1 binding restored" in registrations(z), timeout=20), registrations(z))
            out = registrations(z)
            row = [l for l in out.splitlines() if l.startswith("102")]
            check(len(row) == 1 and "udp 127.0.0.1:" in row[0], out)
            left = int(re.search(r"(\d+)s", row[0]).group(1))
            check(250 < left <= 300, "seconds left after the restart: %d" % left)
            check(not any(l.startswith("103") for l in out.splitlines()), out)

            r = call_batch(z, "answered", 1)
            check(r.ok, "a call to the restored phone: " + r.describe())
            check(phones.finish()["102"].ok, "the phone did not get the call")
            zvon_stops_cleanly(z)


run_tests([test_registrations_survive_restart])
