-- Every change of the kv table (the DB() store) is announced on the channel zvon_kv, once per
-- statement: another zvon on the same database re-reads its cached copy of the table.
CREATE OR REPLACE FUNCTION zvon_kv_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('zvon_kv', '');
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS zvon_kv_notify ON kv;
CREATE TRIGGER zvon_kv_notify AFTER INSERT OR UPDATE OR DELETE ON kv
  FOR EACH STATEMENT EXECUTE FUNCTION zvon_kv_notify();
