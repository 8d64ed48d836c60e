-- The engine spine: FEP sources, the append-only event log (which also carries trade versions), the
-- current trade state as a view, and findings.
-- Key text columns use the "C" collation: identifiers compare byte by byte, the same on every server
-- whatever its locale. (Its speed effect: 1.6x the COPY rate in an early two-table layout, within noise
-- in this one; see bench/results.json "storeStrategy".)

-- FEP sources allowed to connect. Tokens are random 32-byte secrets, stored as SHA-256 hashes.
CREATE TABLE fep_source (
  source_id   text COLLATE "C" PRIMARY KEY,
  token_hash  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- A lower bound of the source's contiguous durable seq, advanced inside group commits. Events above it
  -- may be stored with holes (different actors and groups commit in any order), so recovery reads the
  -- few rows above it to find the true watermark (see sources.ts recoverSourceState).
  durable_seq bigint NOT NULL DEFAULT 0
);

-- One row per stored event; (source_id, seq) is the idempotency key that makes resends harmless.
-- An event the trade actor applied also records the trade version it made: trade state is append-only
-- (see group-commit.ts for the benchmark that chose this over upserting a current-state table).
CREATE TABLE event_log (
  source_id       text COLLATE "C" NOT NULL,
  seq             bigint      NOT NULL,
  received_at     timestamptz NOT NULL,
  trade_key       text COLLATE "C",    -- UTI, or 'USI:' || USI when there is no UTI
  counterparty1   text COLLATE "C",
  action_type     text,
  event_timestamp text,
  status          text NOT NULL CHECK (status IN ('accepted', 'accepted_with_warnings', 'rejected')),
  version         integer,             -- the trade version this event made; NULL when it made none
  lifecycle       text CHECK (lifecycle IN ('live', 'errored', 'terminated')),
  report          bytea NOT NULL,      -- the swaprep.record.SwapReport protobuf exactly as received
  PRIMARY KEY (source_id, seq)
);
-- Versions of a trade, and every trade of a counterparty (what its actor loads when it starts).
CREATE UNIQUE INDEX event_log_trade_version ON event_log (counterparty1, trade_key, version) WHERE version IS NOT NULL;

-- Every trade's current state: its latest version, with the full record that made it.
CREATE VIEW trade_state AS
SELECT DISTINCT ON (counterparty1, trade_key)
       counterparty1, trade_key, version, lifecycle, action_type, event_timestamp, status, source_id, seq, report
  FROM event_log
 WHERE version IS NOT NULL
 ORDER BY counterparty1, trade_key, version DESC;

-- Validation findings, one row per finding, keyed by the event that produced them.
CREATE TABLE finding (
  source_id text COLLATE "C" NOT NULL,
  seq       bigint   NOT NULL,
  rule      text     NOT NULL,
  element   text     NOT NULL,
  path      text     NOT NULL,
  severity  text     NOT NULL CHECK (severity IN ('error', 'warning')),
  message   text     NOT NULL
);
CREATE INDEX finding_event ON finding (source_id, seq);
CREATE INDEX finding_rule ON finding (rule);
