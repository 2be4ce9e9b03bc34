-- Where the phones are: the registrar's contacts, kept across restarts; and the key/value
-- store of the DB() dialplan functions.
CREATE TABLE IF NOT EXISTS sip_registrations (
  endpoint   text NOT NULL,
  contact    text NOT NULL,
  expires_at timestamptz NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (endpoint, contact)
);

CREATE TABLE IF NOT EXISTS kv (
  family text NOT NULL,
  key    text NOT NULL,
  value  text NOT NULL,
  PRIMARY KEY (family, key)
);
