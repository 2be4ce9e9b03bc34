"""zvon's private PostgreSQL cluster (scripts/private-postgres.sh) driven from Python: data in
VAR/pg, socket in VAR/run/pg, so a zvon whose data_dir is VAR finds it the way the default run
does (VAR/pg/conninfo). Used by the storage tests (tests/integration/pgsql_test_common.py) and
the CDR benchmark (bench/cdr/cdr_bench.py)."""
import os
import subprocess

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "private-postgres.sh")


class PostgresError(RuntimeError):
    pass


class PrivatePostgres:
    def __init__(self, var_dir, psql_timeout=30):
        self.var_dir = var_dir
        self.psql_timeout = psql_timeout
        self.conninfo = None

    def _run(self, action, timeout=90):
        r = subprocess.run(["bash", SCRIPT, action, self.var_dir], capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def start(self):
        """Starts the cluster (initdb the first time) and returns its conninfo."""
        rc, out, err = self._run("start")
        if rc != 0:
            raise PostgresError("private PostgreSQL did not start: %s%s" % (out, err))
        self.conninfo = out.strip().splitlines()[-1]
        return self.conninfo

    def stop(self):
        self._run("stop")

    def running(self):
        return self._run("status")[0] == 0

    def psql(self, sql, timeout=None):
        """Rows of a query as lists of strings (psql -At, '|' separated)."""
        r = subprocess.run(["psql", self.conninfo, "-X", "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                           capture_output=True, timeout=timeout or self.psql_timeout,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise PostgresError("psql failed: %s\n%s" % (sql[:200], r.stderr.decode("utf-8", "replace")))
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
