-- The correction outbox. An approved correction must reach the repository even when the engine dies between
-- the approval and the sending of its event (the event of the internal FEP source `console` that carries it).
-- So the approval writes, in its own transaction, where the correction's event will come from
-- (event_source_id); the sender reserves the event's seq on the row, in a transaction of its own, before it
-- sends anything (event_seq); and the row is done once that event is durable (event_stored_at). A sweep, at
-- start and on a timer, sends every approved correction whose event is not stored yet: at its reserved seq
-- when it has one, so that (source_id, seq), the FEP idempotency key, makes a resend store nothing twice.
ALTER TABLE correction
  ADD COLUMN event_source_id text COLLATE "C",  -- the internal source the correction's event is sent from; set by the approval
  ADD COLUMN event_seq       bigint,            -- that event's seq, reserved before it is sent; NULL until then
  ADD COLUMN event_stored_at timestamptz;       -- when its event (or the event it went out with) was known durable

-- One seq carries one correction.
CREATE UNIQUE INDEX correction_event ON correction (event_source_id, event_seq) WHERE event_seq IS NOT NULL;
-- What the sweep reads: the outbox's open entries, reserved seqs first.
CREATE INDEX correction_outbox ON correction (event_seq, id) WHERE event_source_id IS NOT NULL AND event_stored_at IS NULL;

-- Corrections approved before this migration: those whose event the engine has not stored are put in the outbox
-- (an approval then sent the event right after its COMMIT, and a crash in between lost it); those with a console
-- event of the same trade and action since the approval were sent, and the intake links them as before.
UPDATE correction c SET event_source_id = 'console'
 WHERE c.status = 'approved'
   AND NOT EXISTS (SELECT 1 FROM event_log e
                    WHERE e.source_id = 'console' AND e.trade_key = c.trade_key AND e.action_type = c.action_type
                      AND e.received_at >= c.decided_at);
