"""The pgsql module against a private PostgreSQL of the test's own: connection, schema
migrations at start and by `db migrate` (idempotent), `pgsql show status`, reconnection
after the server restarts, and a broken connection string: one clear error, calls go on."""
import os
import re
import time

from cdr_test_common import DIALPLAN, call_batch, cdr_status
from pgsql_test_common import PrivatePostgres
from zvon_harness import Zvon, check, run_tests, zvon_stops_cleanly


def wait_connected(z, timeout=15):
    return z.wait_for(lambda: "PostgreSQL: connected" in z.rx("pgsql show status")[1]
                      and "Schema: version %d" % LATEST in z.rx("pgsql show status")[1],
                      timeout=timeout, interval=0.2)


LATEST = max(int(f.split("_")[0]) for f in os.listdir(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "modules", "pgsql", "migrations"))
    if f.endswith(".sql"))


def takes_calls_journaling(z):
    """A call goes through zvon without a database; its CDR goes to the journal on disk."""
    r = call_batch(z, "answered-zvon", 1)
    check(r.ok, "a call without a database: " + r.describe())
    journal = os.path.join(z.dir, "var", "cdr", "journal.jsonl")
    check(z.wait_for(lambda: os.path.exists(journal) and
                     sum(1 for l in open(journal) if l.startswith("C {")) == 1, timeout=10),
          cdr_status(z))
    check(re.search(r"Mode: journal", cdr_status(z)) and "1 journaled" in cdr_status(z), cdr_status(z))


def test_private_cluster_and_migrations():
    with Zvon(start=False) as z:
        pg = PrivatePostgres(os.path.join(z.dir, "var"))
        with pg:
            z.start()
            check(wait_connected(z), "not connected: " + z.rx("pgsql show status")[1])
            status, out = z.rx("pgsql show status")
            check(status == 0, out)
            check(re.search(r"2 of 2 connections ready", out), out)
            versions = [r[0] for r in pg.psql("SELECT version FROM zvon_schema_migrations ORDER BY 1")]
            check(versions == [str(v) for v in range(1, LATEST + 1)], "versions %r" % versions)
            for table in ("cdr", "events", "sip_registrations", "kv"):
                check(pg.scalar("SELECT to_regclass('%s') IS NOT NULL" % table) == "t", table)
            # Idempotent: nothing more to do, nothing changes.
            status, out = z.rx("db migrate")
            check(status == 0 and "up to date" in out, out)
            # A dropped record of a migration: applied again, harmlessly (IF NOT EXISTS).
            pg.psql("DELETE FROM zvon_schema_migrations WHERE version = %d" % LATEST)
            status, out = z.rx("db migrate")
            check(status == 0 and "Applied migration %d" % LATEST in out, out)
            check(pg.scalar("SELECT count(*) FROM zvon_schema_migrations") == str(LATEST))
            # The server goes away and comes back: the pool reconnects by itself.
            pg.stop()
            check(z.wait_for(lambda: "not connected" in z.rx("pgsql show status")[1], timeout=10),
                  z.rx("pgsql show status")[1])
            pg.start()
            check(wait_connected(z, timeout=20), z.rx("pgsql show status")[1])
            zvon_stops_cleanly(z)


def test_broken_conninfo_one_clear_error():
    bad = "host=%s port=1 dbname=zvon user=nobody connect_timeout=2"
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}) as z:
        z.write_etc("pgsql.conf", "[general]\nconninfo = " + bad % os.path.join(z.dir, "nowhere") +
                    "\nreconnect_max_ms = 300\n")
        z.start()
        time.sleep(2.0)  # several retries happen in this time
        status, out = z.rx("pgsql show status")
        check(status == 0 and "not connected" in out, out)
        check("Last error:" in out, out)
        log = z.log_text()
        lines = [l for l in log.splitlines() if "pgsql" in l and "not reachable" in l]
        check(len(lines) == 1, "expected one error line from pgsql, got:\n" + "\n".join(lines))
        check("nowhere" in lines[0], lines[0])
        status, out = z.rx("db migrate")
        check(status != 0 and "cannot connect" in out, out)
        takes_calls_journaling(z)
        zvon_stops_cleanly(z)


def test_refused_login():
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}) as z:
        pg = PrivatePostgres(os.path.join(z.dir, "var"))
        with pg:
            conn = pg.conninfo.replace("user=zvon", "user=intruder")
            z.write_etc("pgsql.conf", "[general]\nconninfo = %s\n" % conn)
            z.start()
            m = z.wait_log(r"pgsql: PostgreSQL is not reachable: .*intruder", timeout=10)
            check(m, z.log_text())
            time.sleep(1.5)  # retries happen in this time: still one line per module
            lines = [l for l in z.log_text().splitlines() if "not reachable" in l and "intruder" in l]
            # One line per module that keeps connections (pgsql, cdr, chan_sip's registrations).
            modules = sorted(re.search(r"\] \w+\[\d+\] (\w+):", l).group(1) for l in lines)
            check(modules == ["cdr", "chan_sip", "pgsql"], "\n".join(lines))
            takes_calls_journaling(z)
            zvon_stops_cleanly(z)


run_tests([test_private_cluster_and_migrations, test_broken_conninfo_one_clear_error,
           test_refused_login])
