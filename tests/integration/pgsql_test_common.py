"""The storage tests' private PostgreSQL: each test starts its own cluster in its zvon's
temp dir (data in var/pg, socket in var/run/pg), so zvon finds it the way the default run does
(var/pg/conninfo), and stops it at the end. The class is scripts/private_postgres.py's, which
the CDR benchmark uses too."""
import os
import sys

from zvon_harness import SOURCE_DIR

sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
from private_postgres import PrivatePostgres  # noqa: E402,F401
