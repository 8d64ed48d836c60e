-- Batch-first submissions. A batch (one file or one request, up to 10,000 records of one regime to one
-- repository) is the unit that is claimed, sent, retried and answered, so its state moves in one row:
-- no per-record UPDATE when a batch is claimed, sent or ACKed. What is per record stays per record and is
-- written once: the narrow `submission` row (insert-only), a NACK with its codes, an exception, a correction.
-- The records are kept once, in the batch, exactly as sent (one line each; the channel adds the envelope).

ALTER TABLE submission RENAME TO submission_v1;
ALTER TABLE submission_v1 RENAME CONSTRAINT submission_pkey TO submission_v1_pkey;
ALTER TABLE submission_response RENAME TO submission_response_v1;
ALTER TABLE submission_response_v1 RENAME CONSTRAINT submission_response_pkey TO submission_response_v1_pkey;

CREATE TABLE submission_batch (
  id              text COLLATE "C" PRIMARY KEY,  -- the idempotency key the repository sees; kept across retries
  repository      text NOT NULL,                 -- '' while no repository is configured for the regime
  regime          text NOT NULL CHECK (regime IN ('cftc-part45', 'cftc-part43', 'ktfc')),
  format          text NOT NULL CHECK (format IN ('json', 'csv')),
  -- One trade's submissions always travel in the same lane, and a lane sends its batches one after another,
  -- so a MODI never reaches the repository before its trade's NEWT whatever the sender concurrency.
  lane            integer NOT NULL,
  submitter       text,
  records         integer NOT NULL,
  body            text NOT NULL,                 -- the records as sent: one line each (JSON object or CSV row)
  has_corrections boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'settled', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  sent_at         timestamptz,
  answered_at     timestamptz,                   -- the last outcome applied
  settled_at      timestamptz,                   -- every record answered, or failed for good
  -- Bit i (get_bit numbering) is record i's: answered (ACK or NACK), and NACKed.
  answered        bytea NOT NULL,
  nacked          bytea NOT NULL,
  acks            integer NOT NULL DEFAULT 0,
  nacks           integer NOT NULL DEFAULT 0,
  duplicates      integer NOT NULL DEFAULT 0,
  due_at          timestamptz NOT NULL,          -- the earliest deadline among its records
  last_error      text
);
-- Batch ids of a repository sort in the order they were made (engine/submission/ids.ts newBatchId).
CREATE INDEX submission_batch_open ON submission_batch (repository, id) WHERE status IN ('pending', 'sent');
CREATE INDEX submission_batch_due ON submission_batch (due_at) WHERE status IN ('pending', 'sent');
CREATE INDEX submission_batch_failed ON submission_batch (created_at) WHERE status = 'failed';
DO $$ BEGIN
  -- lz4 where the server has it: several times faster than the default pglz for the same text.
  ALTER TABLE submission_batch ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$;

-- One narrow row per owed submission, written once by the intake. Its id is derived from (regime, source_id,
-- seq), so the same event always owes the same submission; (batch_id, ordinal) is where its record is.
CREATE TABLE submission (
  id             text COLLATE "C" PRIMARY KEY,
  batch_id       text COLLATE "C" NOT NULL,
  ordinal        integer NOT NULL,
  regime         text NOT NULL,
  source_id      text COLLATE "C" NOT NULL,
  seq            bigint NOT NULL,
  trade_key      text COLLATE "C",
  counterparty1  text COLLATE "C",
  action_type    text,
  created_at     timestamptz NOT NULL,
  due_at         timestamptz NOT NULL,
  disseminate_at timestamptz,
  correction_id  bigint
);
CREATE INDEX submission_by_batch ON submission (batch_id, ordinal);
CREATE INDEX submission_by_trade ON submission (trade_key);
CREATE INDEX submission_by_created ON submission (created_at, id);

-- A NACK: per record, with the repository's codes.
CREATE TABLE submission_nack (
  submission_id text COLLATE "C" PRIMARY KEY,
  batch_id      text COLLATE "C" NOT NULL,
  received_at   timestamptz NOT NULL,
  codes         jsonb NOT NULL
);
CREATE INDEX submission_nack_received ON submission_nack (received_at);

-- Every answer received for a batch, applied or not: counts, and the outcomes that were not applied because
-- their record is not in the batch the answer names (kept as they came, for the investigation).
CREATE TABLE submission_response (
  id          bigserial PRIMARY KEY,
  batch_id    text COLLATE "C" NOT NULL,
  repository  text NOT NULL,
  received_at timestamptz NOT NULL,
  acks        integer NOT NULL,
  nacks       integer NOT NULL,
  duplicates  integer NOT NULL,
  rejected    jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX submission_response_batch ON submission_response (batch_id);
CREATE INDEX submission_response_received ON submission_response (received_at);

-- Each record's state, derived from its batch and its NACK: what the console, reports, deadlines and
-- reconciliation read. 'missed': answered (or still open) after its deadline.
CREATE VIEW submission_state AS
SELECT s.id, s.regime, b.repository, s.source_id, s.seq, s.trade_key, s.counterparty1, b.submitter, s.action_type, b.format,
       CASE WHEN get_bit(b.answered, s.ordinal) = 1 THEN CASE WHEN get_bit(b.nacked, s.ordinal) = 1 THEN 'nacked' ELSE 'acked' END
            WHEN b.status = 'failed' THEN 'failed'
            WHEN b.status = 'sent' THEN 'sent'
            ELSE 'pending' END AS status,
       b.attempts, s.batch_id, s.ordinal, s.created_at, b.sent_at,
       CASE WHEN get_bit(b.answered, s.ordinal) = 1 THEN COALESCE(n.received_at, b.answered_at)
            WHEN b.status = 'failed' THEN b.settled_at END AS settled_at,
       s.due_at, s.disseminate_at,
       CASE WHEN COALESCE(CASE WHEN get_bit(b.answered, s.ordinal) = 1 THEN COALESCE(n.received_at, b.answered_at) END, now()) > s.due_at
            THEN 'missed' ELSE 'open' END AS deadline_state,
       CASE WHEN get_bit(b.answered, s.ordinal) = 1 THEN NULL ELSE b.last_error END AS last_error,
       s.correction_id, n.codes AS nack_codes,
       -- The record as sent, cut from its batch's body (read only when asked for: the view is inlined).
       CASE WHEN b.format = 'json'
            THEN left(substr(split_part(b.body, E'\n', s.ordinal + 1), length('{"submissionId":' || to_json(s.id)::text || ',"record":') + 1), -1)
            ELSE substr(split_part(b.body, E'\n', s.ordinal + 1), length(s.id) + 2) END AS payload
  FROM submission s JOIN submission_batch b ON b.id = s.batch_id LEFT JOIN submission_nack n ON n.submission_id = s.id;

-- The records still owed an answer: those of open batches not yet answered, with their batch's earliest deadline
-- (batch_due_at), which a query bounds first so that the partial index on open batches' deadlines is used.
CREATE VIEW submission_unanswered AS
SELECT s.id, s.trade_key, s.due_at, b.id AS batch_id, b.repository, b.regime, b.due_at AS batch_due_at
  FROM submission_batch b JOIN submission s ON s.batch_id = b.id
 WHERE b.status IN ('pending', 'sent') AND get_bit(b.answered, s.ordinal) = 0;

-- Move the per-record rows of the previous layout. A record claimed by a batch keeps that batch; the others
-- are grouped by repository and regime into batches of up to 10,000, oldest first.
CREATE TEMP TABLE v1_moved ON COMMIT DROP AS
SELECT s.*, p.payload,
       COALESCE(s.batch_id, 'M-' || md5(s.repository || '/' || s.regime || '/' || s.format) || '-' ||
                ((row_number() OVER (PARTITION BY s.batch_id IS NULL, s.repository, s.regime, s.format ORDER BY s.created_at, s.id) - 1) / 10000)) AS new_batch,
       NULL::integer AS ordinal
  FROM submission_v1 s JOIN submission_payload p ON p.id = s.id;
UPDATE v1_moved m SET ordinal = o.ordinal
  FROM (SELECT id, (row_number() OVER (PARTITION BY new_batch ORDER BY created_at, id) - 1)::integer AS ordinal FROM v1_moved) o WHERE o.id = m.id;

INSERT INTO submission_batch (id, repository, regime, format, lane, submitter, records, body, has_corrections, created_at, status, attempts,
                              next_attempt_at, sent_at, answered_at, settled_at, answered, nacked, acks, nacks, due_at, last_error)
SELECT new_batch, min(repository), min(regime), min(format), 0, min(submitter), count(*)::integer,
       string_agg(CASE WHEN format = 'json' THEN '{"submissionId":' || to_json(id)::text || ',"record":' || payload || '}' ELSE id || ',' || payload END || E'\n', '' ORDER BY ordinal),
       bool_or(correction_id IS NOT NULL), min(created_at),
       CASE WHEN bool_or(status = 'pending') THEN 'pending' WHEN bool_or(status = 'sent') THEN 'sent' WHEN bool_or(status = 'failed') THEN 'failed' ELSE 'settled' END,
       max(attempts), min(next_attempt_at), max(sent_at), max(settled_at) FILTER (WHERE status IN ('acked', 'nacked')),
       CASE WHEN bool_and(status IN ('acked', 'nacked', 'failed')) THEN max(settled_at) END,
       decode(repeat('00', (count(*)::integer + 7) / 8), 'hex'), decode(repeat('00', (count(*)::integer + 7) / 8), 'hex'),
       count(*) FILTER (WHERE status = 'acked'), count(*) FILTER (WHERE status = 'nacked'), min(due_at), max(last_error)
  FROM v1_moved GROUP BY new_batch;

-- The answered and NACKed bits: per batch, one byte per eight ordinals (ordinals are dense from 0), in order.
UPDATE submission_batch b SET answered = bits.answered, nacked = bits.nacked
  FROM (SELECT new_batch, decode(string_agg(lpad(to_hex(a), 2, '0'), '' ORDER BY byte_index), 'hex') AS answered,
               decode(string_agg(lpad(to_hex(n), 2, '0'), '' ORDER BY byte_index), 'hex') AS nacked
          FROM (SELECT new_batch, ordinal / 8 AS byte_index,
                       COALESCE(sum(1 << (ordinal % 8)) FILTER (WHERE status IN ('acked', 'nacked')), 0)::integer AS a,
                       COALESCE(sum(1 << (ordinal % 8)) FILTER (WHERE status = 'nacked'), 0)::integer AS n
                  FROM v1_moved GROUP BY new_batch, ordinal / 8) bytes
         GROUP BY new_batch) bits
 WHERE b.id = bits.new_batch;

INSERT INTO submission (id, batch_id, ordinal, regime, source_id, seq, trade_key, counterparty1, action_type, created_at, due_at, disseminate_at, correction_id)
SELECT id, new_batch, ordinal, regime, source_id, seq, trade_key, counterparty1, action_type, created_at, due_at, disseminate_at, correction_id FROM v1_moved;

INSERT INTO submission_nack (submission_id, batch_id, received_at, codes)
SELECT DISTINCT ON (m.id) m.id, m.new_batch, r.received_at, r.codes
  FROM v1_moved m JOIN submission_response_v1 r ON r.submission_id = m.id AND r.outcome = 'NACK' AND NOT r.duplicate
 WHERE m.status = 'nacked' ORDER BY m.id, r.id;

INSERT INTO submission_response (batch_id, repository, received_at, acks, nacks, duplicates)
SELECT m.new_batch, min(m.repository), max(r.received_at), count(*) FILTER (WHERE r.outcome = 'ACK' AND NOT r.duplicate),
       count(*) FILTER (WHERE r.outcome = 'NACK' AND NOT r.duplicate), count(*) FILTER (WHERE r.duplicate)
  FROM v1_moved m JOIN submission_response_v1 r ON r.submission_id = m.id GROUP BY m.new_batch;

DROP TABLE submission_response_v1;
DROP TABLE submission_payload;
DROP TABLE submission_v1;
