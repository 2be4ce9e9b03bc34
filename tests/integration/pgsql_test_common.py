"""The storage tests' private PostgreSQL: each test starts its own cluster in its zvon's
temp dir with scripts/private-postgres.sh (data in var/pg, socket in var/run/pg), so zvon finds
it the way the default run does (var/pg/conninfo), and stops it at the end."""
import os
import subprocess

from zvon_harness import SOURCE_DIR

SCRIPT = os.path.join(SOURCE_DIR, "scripts", "private-postgres.sh")


class PrivatePostgres:
    def __init__(self, var_dir):
        self.var_dir = var_dir
        self.conninfo = None

    def _run(self, action, timeout=60):
        r = subprocess.run(["bash", SCRIPT, action, self.var_dir], capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def start(self):
        rc, out, err = self._run("start")
        if rc != 0:
            raise RuntimeError("private PostgreSQL did not start: %s%s" % (out, err))
        self.conninfo = out.strip().splitlines()[-1]
        return self.conninfo

    def stop(self):
        self._run("stop")

    def running(self):
        return self._run("status")[0] == 0

    def psql(self, sql, timeout=30):
        """Rows of a query as lists of strings (psql -At, '|' separated)."""
        r = subprocess.run(["psql", self.conninfo, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                           capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError("psql failed: %s" % r.stderr.decode("utf-8", "replace"))
        text = r.stdout.decode("utf-8", "replace")
        return [line.split("|") for line in text.splitlines() if line != ""]

    def scalar(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows else None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
