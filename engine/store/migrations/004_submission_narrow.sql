-- Narrow submission rows: the payload (the record as sent, 1 to 3 KB) moves to an insert-only table, so the
-- status changes of a submission (claim, sent, ACK/NACK: each rewrites the whole row in PostgreSQL) copy a
-- row of about 200 bytes instead of one with the payload in it. Payloads are written once, by COPY, and read
-- only to (re)send a batch, to show an exception's record, or by reconciliation.
CREATE TABLE submission_payload (
  id      text COLLATE "C" PRIMARY KEY,   -- submission.id
  payload text NOT NULL                   -- flat JSON object or one CSV row, exactly as sent
);
INSERT INTO submission_payload (id, payload) SELECT id, payload FROM submission;
ALTER TABLE submission DROP COLUMN payload;

-- A submission waiting for a repository that is not configured has repository = '' (it is generated and kept
-- pending; the dispatcher assigns it when a repository for its regime is configured).
COMMENT ON COLUMN submission.repository IS 'our name of the repository; empty while none is configured for the regime';
