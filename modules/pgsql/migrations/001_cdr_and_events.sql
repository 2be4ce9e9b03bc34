-- Call detail records and channel events. Every migration must be idempotent: it may run
-- again when two zvons start at once.
CREATE TABLE IF NOT EXISTS cdr (
  id             text PRIMARY KEY,          -- the call's first channel's unique id
  linkedid       text NOT NULL,             -- shared by every leg of the call
  tenant         text NOT NULL DEFAULT 'default',
  caller         text NOT NULL DEFAULT '',
  caller_name    text NOT NULL DEFAULT '',
  callee         text NOT NULL DEFAULT '',
  dialed         text NOT NULL DEFAULT '',
  context        text NOT NULL DEFAULT '',
  channel        text NOT NULL,
  dstchannel     text NOT NULL DEFAULT '',
  start_time     timestamptz NOT NULL,
  answer_time    timestamptz,
  end_time       timestamptz NOT NULL,
  duration       integer NOT NULL,          -- seconds from start to end
  billsec        integer NOT NULL,          -- seconds from answer to end
  disposition    text NOT NULL CHECK (disposition IN
                   ('ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CANCELLED')),
  hangup_cause   integer NOT NULL DEFAULT 0,
  hangup_cause_text text NOT NULL DEFAULT '',
  hangup_side    text NOT NULL DEFAULT '',  -- caller, callee or system
  dial_status    text NOT NULL DEFAULT '',
  recording      text,
  written_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cdr_start_time ON cdr (start_time);
CREATE INDEX IF NOT EXISTS cdr_linkedid ON cdr (linkedid);

CREATE TABLE IF NOT EXISTS events (
  id        text PRIMARY KEY,               -- <uniqueid>:<sequence>
  time      timestamptz NOT NULL,
  type      text NOT NULL,
  uniqueid  text NOT NULL,
  linkedid  text NOT NULL,
  tenant    text NOT NULL DEFAULT 'default',
  channel   text NOT NULL DEFAULT '',
  fields    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_linkedid ON events (linkedid);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
