"""DB(), DB_EXISTS() and DB_DELETE() on PostgreSQL, through real calls: a sipp call writes
with Set(DB(...)) and psql sees the row; after a restart of zvon a second call reads it back
and branches on it (486 from Busy() on one side, 200 on the other); DB_DELETE removes the
row; `db show` lists the keys; with PostgreSQL stopped the writes are journaled and reach
the table when it returns, also across a restart of zvon."""
import os
import re

from cdr_test_common import call_batch
from pgsql_test_common import PrivatePostgres
from zvon_harness import Zvon, check, run_tests, zvon_stops_cleanly

DIALPLAN = """
[internal]
exten => 810,1,Answer()
 same => n,Set(DB(zvtest/mode)=night)
 same => n,Set(DB(zvtest/note)=${CALLERID(num)} was here \\\\ {json: 1})
 same => n,Wait(0.2)
 same => n,Hangup()
exten => 811,1,GotoIf($["${DB(zvtest/mode)}" = "night"]?night)
 same => n,Set(EXISTS=${DB_EXISTS(zvtest/mode)})
 same => n,Log(NOTICE,day branch exists=${EXISTS})
 same => n,Answer()
 same => n,Wait(0.2)
 same => n,Hangup()
 same => n(night),Log(NOTICE,night branch note=${DB(zvtest/note)})
 same => n,Busy()
exten => 812,1,Answer()
 same => n,Set(OLD=${DB_DELETE(zvtest/mode)})
 same => n,Log(NOTICE,deleted mode=${OLD})
 same => n,Wait(0.2)
 same => n,Hangup()
exten => _81[34],1,Answer()
 same => n,Set(DB(offline/k${EXTEN})=kept ${EXTEN})
 same => n,Wait(0.2)
 same => n,Hangup()
"""


NOTE = "101 was here \\ {json: 1}"


def journaled(z):
    m = re.search(r"(\d+) journaled", db_show(z))
    check(m, db_show(z))
    return int(m.group(1))


def db_show(z, family="", ok=False):
    status, out = z.rx(("db show " + family).strip())
    check(status == 0 or not ok, out)
    return out


def call(z, exten, kind="answered-zvon"):
    r = call_batch(z, kind, 1, service=exten)
    check(r.ok, "a call to %s (%s): %s" % (exten, kind, r.describe()))


def kv_rows(pg, family):
    return pg.psql("SELECT key, value FROM kv WHERE family = '%s' ORDER BY key" % family)


def wait_live(z):
    check(z.wait_for(lambda: "State: live" in db_show(z), timeout=20), db_show(z))


def test_db_functions_on_postgresql():
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}) as z:
        pg = PrivatePostgres(os.path.join(z.dir, "var"))
        with pg:
            z.start()
            wait_live(z)
            check("Store: PostgreSQL table kv" in db_show(z, ok=True), db_show(z))

            # A call writes; the rows reach the table.
            call(z, "810")
            check(z.wait_for(lambda: len(kv_rows(pg, "zvtest")) == 2, timeout=10), kv_rows(pg, "zvtest"))
            check(kv_rows(pg, "zvtest") == [["mode", "night"], ["note", NOTE]],
                  kv_rows(pg, "zvtest"))
            out = db_show(z, "zvtest", ok=True)
            check("/zvtest/mode : night" in out and "2 results found." in out, out)
            # Its own writes' notifications do not make it read the table again.
            check("another process's change: 0 times" in out, out)
            # The file store of the core is not used while the pgsql module provides one.
            check(not os.path.exists(os.path.join(z.dir, "var", "dialplan-db.journal")), "file store used")

            # After a restart the value is read back from PostgreSQL and decides the branch.
            z.stop()
            z.start()
            wait_live(z)
            call(z, "811", kind="busy")
            check(z.wait_log(r"night branch note=101 was here", timeout=5), z.log_text())

            # DB_DELETE removes the row and gives the value; the branch changes.
            call(z, "812")
            check(z.wait_log(r"deleted mode=night", timeout=5), z.log_text())
            check(z.wait_for(lambda: kv_rows(pg, "zvtest") == [["note", NOTE]],
                             timeout=10), kv_rows(pg, "zvtest"))
            call(z, "811")
            check(z.wait_log(r"day branch exists=0", timeout=5), z.log_text())

            # PostgreSQL goes away: the write is journaled, and reaches the table when it returns.
            pg.stop()
            check(z.wait_for(lambda: "not reachable" in db_show(z), timeout=10), db_show(z))
            before = journaled(z)
            call(z, "813")
            check(z.wait_for(lambda: journaled(z) == before + 1, timeout=10), db_show(z))
            check("/offline/k813 : kept 813" in db_show(z, "offline"), db_show(z, "offline"))
            pg.start()
            check(z.wait_for(lambda: kv_rows(pg, "offline") == [["k813", "kept 813"]], timeout=20),
                  "%r\n%s" % (kv_rows(pg, "offline"), db_show(z)))
            wait_live(z)

            # ... also when zvon stops before PostgreSQL returns: the journal is on disk.
            pg.stop()
            check(z.wait_for(lambda: "not reachable" in db_show(z), timeout=10), db_show(z))
            before = journaled(z)
            call(z, "814")
            check(z.wait_for(lambda: journaled(z) == before + 1, timeout=10), db_show(z))
            z.stop()
            pg.start()
            z.start()
            check(z.wait_for(lambda: kv_rows(pg, "offline") == [["k813", "kept 813"], ["k814", "kept 814"]],
                             timeout=20), "%r\n%s" % (kv_rows(pg, "offline"), db_show(z)))
            wait_live(z)
            out = db_show(z, ok=True)
            check("/offline/k814 : kept 814" in out and "3 results found." in out, out)
            zvon_stops_cleanly(z)


def test_two_zvons_share_the_store():
    """Two zvon processes on one database: a change one makes reaches the other's cache (the
    trigger's NOTIFY), and the other's call branches on it."""
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}) as z1, \
            Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}) as z2:
        pg = PrivatePostgres(os.path.join(z1.dir, "var"))
        with pg:
            z2.write_etc("pgsql.conf", "[general]\nconninfo = %s\n" % pg.conninfo)
            z1.start()
            z2.start()
            wait_live(z1)
            wait_live(z2)
            call(z1, "810")
            check(z2.wait_for(lambda: "/zvtest/mode : night" in db_show(z2, "zvtest"), timeout=10),
                  db_show(z2, "zvtest"))
            call(z2, "811", kind="busy")
            check(z2.wait_log(r"night branch note=101 was here", timeout=5), z2.log_text())
            call(z2, "812")
            check(z1.wait_for(lambda: "/zvtest/mode :" not in db_show(z1, "zvtest")
                              and "/zvtest/note :" in db_show(z1, "zvtest"), timeout=10), db_show(z1, "zvtest"))
            m = re.search(r"another process's change: (\d+) times", db_show(z1))
            check(m and int(m.group(1)) >= 1, db_show(z1))
            zvon_stops_cleanly(z2)
            zvon_stops_cleanly(z1)


run_tests([test_db_functions_on_postgresql, test_two_zvons_share_the_store])
