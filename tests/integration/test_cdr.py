"""CDRs through a real zvon and a private PostgreSQL: 50 calls with sipp give exactly 50
records with the right dispositions (answered, busy, no answer, cancelled, failed), linked
legs, events; then PostgreSQL is stopped during 50 more calls and started again: all 100
records are in the database exactly once, no call failed, and no loop stalled."""
import os
import re
import time

from cdr_test_common import (DIALPLAN, Phones, call_batch, cdr_status, loop_lag_ms, sip_conf)
from pgsql_test_common import PrivatePostgres
from zvon_harness import Zvon, check, run_tests, zvon_stops_cleanly

MAX_LAG_MS = 250.0  # generous for a sanitizer build on two busy cores; a stall is seconds


def wait_records(z, pg, n, timeout=30):
    return z.wait_for(lambda: int(pg.scalar("SELECT count(*) FROM cdr")) >= n
                      and "Mode: database" in cdr_status(z) and "(empty)" in cdr_status(z),
                      timeout=timeout, interval=0.3)


def run(z, pg):
    check(z.wait_for(lambda: "Mode: database" in cdr_status(z), timeout=20), cdr_status(z))

    # --- 50 calls, every disposition
    phones = Phones(z, answered=10, busy=10, ringing=15)
    expected = {"answered-zvon": 10, "answered": 10, "busy": 10, "noanswer": 10, "cancel": 5,
                "failed": 5}
    for kind, n in expected.items():
        r = call_batch(z, kind, n)
        check(r.ok, "%s calls: %s" % (kind, r.describe()))
    # The ringing phone takes 15: 10 no answer, 5 cancelled.
    phones.finish()
    check(wait_records(z, pg, 50), "records: %s\n%s" % (pg.scalar("SELECT count(*) FROM cdr"), cdr_status(z)))
    rows = dict((d, int(n)) for d, n in pg.psql("SELECT disposition, count(*) FROM cdr GROUP BY 1"))
    check(rows == {"ANSWERED": 20, "BUSY": 10, "NO ANSWER": 10, "CANCELLED": 5, "FAILED": 5},
          "dispositions: %r" % rows)
    check(pg.scalar("SELECT count(*) FROM cdr") == "50")
    check(pg.scalar("SELECT count(DISTINCT id) FROM cdr") == "50")
    check(pg.scalar("SELECT count(*) FROM cdr WHERE tenant <> 'default' OR caller <> '101'") == "0",
          pg.psql("SELECT id, tenant, caller FROM cdr WHERE tenant <> 'default' OR caller <> '101'"))

    # Answered through Dial: callee, the called channel, answer time, billsec, who hung up.
    rows = pg.psql("SELECT callee, dialed, dstchannel, answer_time IS NOT NULL, hangup_side, dial_status,"
                   " duration >= billsec FROM cdr WHERE dialed = '702'")
    check(len(rows) == 10 and all(r == ["102", "702", r[2], "t", "caller", "ANSWER", "t"] and
                                  r[2].startswith("SIP/102-") for r in rows), rows)
    rows = pg.psql("SELECT hangup_side, hangup_cause_text, dstchannel FROM cdr WHERE dialed = '700'")
    check(all(r == ["system", "NORMAL_CLEARING", ""] for r in rows), rows)
    rows = pg.psql("SELECT dial_status, hangup_cause_text, hangup_side, answer_time IS NULL, billsec"
                   " FROM cdr WHERE dialed = '703'")
    check(all(r == ["BUSY", "USER_BUSY", "callee", "t", "0"] for r in rows), rows)
    rows = pg.psql("SELECT dial_status, hangup_side FROM cdr WHERE dialed = '704'")
    check(all(r == ["NOANSWER", "system"] for r in rows), rows)
    rows = pg.psql("SELECT dial_status, hangup_side FROM cdr WHERE dialed = '705'")
    check(all(r == ["CANCEL", "caller"] for r in rows), rows)
    rows = pg.psql("SELECT hangup_cause_text FROM cdr WHERE dialed = '999'")
    check(all(r == ["UNALLOCATED"] for r in rows), rows)
    # Events: both legs of a Dial call carry the call's linked id, in order of time.
    linked = pg.scalar("SELECT linkedid FROM cdr WHERE dialed = '702' LIMIT 1")
    channels = pg.psql("SELECT DISTINCT channel FROM events WHERE linkedid = '%s' AND type = 'ChannelCreated'"
                       % linked)
    check(len(channels) == 2, channels)
    types = [r[0] for r in pg.psql("SELECT type FROM events WHERE linkedid = '%s' ORDER BY time, id" % linked)]
    check(types[0] == "ChannelCreated" and "DialBegin" in types and "DialAnswer" in types
          and types[-1] == "ChannelDestroyed", types)
    check(pg.scalar("SELECT count(*) FROM events e LEFT JOIN cdr c ON c.linkedid = e.linkedid"
                    " WHERE c.id IS NULL") == "0")
    status, out = z.rx("cdr show last 5")
    check(status == 0 and out.count("database") == 5, out)

    # --- 50 more answered calls; PostgreSQL goes away during them and comes back
    z.rx("cdr reset lag")
    phones = Phones(z, answered=25)
    calls = call_batch(z, "answered-zvon", 25, rate=10, limit=10, background=True)
    callees = call_batch(z, "answered", 25, rate=10, limit=10, background=True)
    time.sleep(1.0)
    pg.stop()
    check(z.wait_for(lambda: "Mode: journal" in cdr_status(z), timeout=10), cdr_status(z))
    time.sleep(1.5)
    r1, r2 = calls.finish(), callees.finish()
    during = cdr_status(z)
    pg.start()
    check(r1.ok, "calls during the outage: " + r1.describe())
    check(r2.ok, "calls during the outage: " + r2.describe())
    phones.finish()
    check("journaled" in during and " 0 journaled" not in during, during)
    check(wait_records(z, pg, 100, timeout=40),
          "after the outage: %s\n%s" % (pg.scalar("SELECT count(*) FROM cdr"), cdr_status(z)))
    check(pg.scalar("SELECT count(*) FROM cdr") == "100", pg.scalar("SELECT count(*) FROM cdr"))
    check(pg.scalar("SELECT count(DISTINCT id) FROM cdr") == "100")
    check(pg.scalar("SELECT count(*) FROM cdr WHERE disposition = 'ANSWERED'") == "70")
    check(not os.path.exists(os.path.join(z.dir, "var", "cdr", "journal.replay.jsonl")))
    lag = loop_lag_ms(z)
    check(lag < MAX_LAG_MS, "a loop stalled for %.1f ms:\n%s" % (lag, cdr_status(z)))
    print("loop lag max during the outage: %.1f ms" % lag)


def test_cdrs_exactly_once():
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}, etc={"sip.conf": sip_conf()}) as z:
        pg = PrivatePostgres(os.path.join(z.dir, "var"))
        with pg:
            z.start()
            run(z, pg)
            zvon_stops_cleanly(z)


STALL = """CREATE OR REPLACE FUNCTION test_stall() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(1.0); RETURN NULL; END $$;
CREATE TRIGGER test_stall BEFORE INSERT ON cdr FOR EACH STATEMENT EXECUTE FUNCTION test_stall();"""


def test_slow_database_queue_bound():
    """The database is up but slow (every insert sleeps 1 s): no more than [cdr] queue_max
    records wait in memory; the rest go to the journal, and every record lands once."""
    pgsql_conf = "[general]\nconninfo =\n[cdr]\nqueue_max = 3\n"
    with Zvon(start=False, dialplan={"extensions.conf": DIALPLAN}, etc={"pgsql.conf": pgsql_conf}) as z:
        pg = PrivatePostgres(os.path.join(z.dir, "var"))
        with pg:
            z.start()
            check(z.wait_for(lambda: "Mode: database" in cdr_status(z), timeout=20), cdr_status(z))
            pg.psql(STALL)
            z.rx("cdr reset lag")
            r = call_batch(z, "answered-zvon", 12, rate=10, limit=12)
            check(r.ok, "calls while the database is slow: " + r.describe())
            status = cdr_status(z)
            past = int(re.search(r"past it to the journal: (\d+)", status).group(1))
            check(past >= 4, "the in-memory queue was not bounded:\n" + status)
            check(z.wait_log(r"the database is slow: 4 CDRs wait for it", timeout=5), z.log_text())
            lag = loop_lag_ms(z)
            check(lag < MAX_LAG_MS, "a loop stalled for %.1f ms:\n%s" % (lag, status))
            pg.psql("DROP TRIGGER test_stall ON cdr")
            check(wait_records(z, pg, 12, timeout=40),
                  "records: %s\n%s" % (pg.scalar("SELECT count(*) FROM cdr"), cdr_status(z)))
            check(pg.scalar("SELECT count(*) FROM cdr") == "12", pg.scalar("SELECT count(*) FROM cdr"))
            check(pg.scalar("SELECT count(DISTINCT id) FROM cdr") == "12")
            zvon_stops_cleanly(z)


run_tests([test_cdrs_exactly_once, test_slow_database_queue_bound])
