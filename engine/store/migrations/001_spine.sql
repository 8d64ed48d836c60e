-- The engine spine: FEP sources, the append-only event log, trade versions and current state, findings.

-- FEP sources allowed to connect. Tokens are random 32-byte secrets, stored as SHA-256 hashes.
CREATE TABLE fep_source (
  source_id   text PRIMARY KEY,
  token_hash  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- A lower bound of the source's contiguous durable seq, advanced inside group commits. Events above it
  -- may be stored with holes (different actors and groups commit in any order), so recovery reads the
  -- few rows above it to find the true watermark (see sources.ts recoverSourceState).
  durable_seq bigint NOT NULL DEFAULT 0
);

-- One row per stored event; (source_id, seq) is the idempotency key that makes resends harmless.
CREATE TABLE event_log (
  source_id     text        NOT NULL,
  seq           bigint      NOT NULL,
  received_at   timestamptz NOT NULL,
  trade_key     text,                 -- UTI, or 'USI:' || USI when there is no UTI
  counterparty1 text,
  action_type   text,
  status        text        NOT NULL CHECK (status IN ('accepted', 'accepted_with_warnings', 'rejected')),
  report        bytea       NOT NULL, -- the swaprep.record.SwapReport protobuf exactly as received
  PRIMARY KEY (source_id, seq)
);
-- No index on trade_key here: a trade's events are found through trade_version (every index on this
-- table is paid for by every event; bench/results.json "spine" has the COPY figures that decided it).

-- Append-only trade versions: one row per event the trade actor accepted (see group-commit.ts for why
-- append-only won over upserting a current-state table).
CREATE TABLE trade_version (
  trade_key       text    NOT NULL,
  version         integer NOT NULL,
  counterparty1   text    NOT NULL,
  source_id       text    NOT NULL,
  seq             bigint  NOT NULL,
  action_type     text,
  event_timestamp text,
  lifecycle       text    NOT NULL,  -- live | errored | terminated after this version
  PRIMARY KEY (trade_key, version)
);
CREATE INDEX trade_version_cp1 ON trade_version (counterparty1, trade_key, version DESC);

-- The current state of every trade: its latest version and the full record that made it.
CREATE VIEW trade_state AS
SELECT DISTINCT ON (v.trade_key)
       v.trade_key, v.version, v.counterparty1, v.action_type, v.event_timestamp, v.lifecycle,
       v.source_id, v.seq, e.report, e.status
  FROM trade_version v
  JOIN event_log e ON e.source_id = v.source_id AND e.seq = v.seq
 ORDER BY v.trade_key, v.version DESC;

-- Validation findings, one row per finding, keyed by the event that produced them.
CREATE TABLE finding (
  source_id text     NOT NULL,
  seq       bigint   NOT NULL,
  rule      text     NOT NULL,
  element   text     NOT NULL,
  path      text     NOT NULL,
  severity  text     NOT NULL CHECK (severity IN ('error', 'warning')),
  message   text     NOT NULL
);
CREATE INDEX finding_event ON finding (source_id, seq);
CREATE INDEX finding_rule ON finding (rule);
