-- The analyst console (ui/server/): users and their refresh tokens, the token signing secret, exception
-- assignment, and the trade_current projection that makes searches fast with a million trades.
-- Nothing here is written on the ingest path: trade_current is maintained by a background projector that
-- follows event_log per source by cursor (like the submission intake), and no index is added to event_log.

-- Console users. Passwords are scrypt hashes ("scrypt$N$r$p$salt$hash", base64url); roles are ordered.
CREATE TABLE console_user (
  username      text COLLATE "C" PRIMARY KEY,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'analyst', 'supervisor', 'admin')),
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);

-- Refresh tokens: one row per token issued, only a SHA-256 of the secret kept. A family is one login and its
-- rotations: presenting a token that was already used revokes the whole family (it was stolen or replayed).
CREATE TABLE console_refresh_token (
  id          text COLLATE "C" PRIMARY KEY,
  family      text COLLATE "C" NOT NULL,
  username    text COLLATE "C" NOT NULL REFERENCES console_user ON DELETE CASCADE,
  token_hash  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX console_refresh_token_family ON console_refresh_token (family);
CREATE INDEX console_refresh_token_user ON console_refresh_token (username) WHERE revoked_at IS NULL;

-- Secrets generated once and kept (the access-token signing key), so tokens survive a restart.
CREATE TABLE console_secret (
  name       text COLLATE "C" PRIMARY KEY,
  value      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Exceptions can be assigned to an analyst.
ALTER TABLE exception ADD COLUMN assignee text;
CREATE INDEX exception_status_id ON exception (status, id);
CREATE INDEX exception_assignee ON exception (assignee, id) WHERE assignee IS NOT NULL;
CREATE INDEX exception_trade_any ON exception (trade_key);  -- trade detail shows closed exceptions too
CREATE INDEX correction_trade_any ON correction (trade_key);

-- Lists of submissions, newest first, by status.
CREATE INDEX submission_created ON submission (created_at, id);
CREATE INDEX submission_status_created ON submission (status, created_at, id);
-- Trades by submission status (search `status:nacked`): the newest submission per trade in a status.
CREATE INDEX submission_status_trade ON submission (status, trade_key, counterparty1, created_at, id);
CREATE INDEX submission_response_outcome ON submission_response (received_at, outcome);
CREATE INDEX review_item_state ON review_item (state, created_at, source_id, seq);
CREATE INDEX correction_status ON correction (status, id);
CREATE INDEX correction_exception ON correction (exception_id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- One row per trade: its current state for lists and searches. `id` is assigned when the projector first sees
-- the trade and never changes, so keyset pages ordered by it stay stable while trades are added and updated.
CREATE TABLE trade_current (
  id                bigserial,
  trade_key         text COLLATE "C" NOT NULL,
  counterparty1     text COLLATE "C" NOT NULL,          -- '' when no event of the trade carried one
  counterparty2     text COLLATE "C",
  product           text COLLATE "C",                   -- the UPI when reported, else the asset class
  asset_class       text COLLATE "C",
  notional          numeric,                            -- leg 1 notional amount
  notional_currency text,
  version           integer,                            -- NULL: no event of the trade was ever accepted
  lifecycle         text,
  action_type       text,
  execution_at      timestamptz,
  last_status       text NOT NULL,                      -- status of the trade's latest event
  last_event_at     timestamptz NOT NULL,
  source_id         text COLLATE "C" NOT NULL,          -- the latest event
  seq               bigint NOT NULL,
  events            integer NOT NULL,
  PRIMARY KEY (trade_key, counterparty1)
);
CREATE UNIQUE INDEX trade_current_id ON trade_current (id);
CREATE INDEX trade_current_cp ON trade_current (counterparty1, id);
CREATE INDEX trade_current_product ON trade_current (product, id);
CREATE INDEX trade_current_asset_class ON trade_current (asset_class, id);
CREATE INDEX trade_current_lifecycle ON trade_current (lifecycle, id);
CREATE INDEX trade_current_last_status ON trade_current (last_status, id);
CREATE INDEX trade_current_execution ON trade_current (execution_at);
CREATE INDEX trade_current_notional ON trade_current (notional);

-- Events of a trade that made no version (rejected ones): versioned events are found through
-- event_log_trade_version, these through here (event_log has no trade_key index, on purpose).
CREATE TABLE trade_event_ref (
  source_id     text COLLATE "C" NOT NULL,
  seq           bigint NOT NULL,
  trade_key     text COLLATE "C" NOT NULL,
  counterparty1 text COLLATE "C" NOT NULL,
  status        text NOT NULL,
  received_at   timestamptz NOT NULL,
  PRIMARY KEY (source_id, seq)
);
CREATE INDEX trade_event_ref_trade ON trade_event_ref (trade_key);
CREATE INDEX trade_event_ref_status ON trade_event_ref (status, received_at);

-- How far the projector has read each source's events.
CREATE TABLE trade_projection_cursor (
  source_id text COLLATE "C" PRIMARY KEY,
  seq       bigint NOT NULL
);
