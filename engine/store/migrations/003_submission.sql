-- Submissions to swap data repositories and what came back; exceptions and their corrections
-- (maker-checker, audited); alerts and their deliveries; reconciliation runs; scheduled report files.
-- Every state change of a submission is a guarded UPDATE (status IN (...)), so a duplicate or late
-- response can never settle a submission twice; responses are all kept.

-- How far the submission intake has read each source's events (event_log is append-only per source).
CREATE TABLE submission_cursor (
  source_id text COLLATE "C" PRIMARY KEY,
  seq       bigint NOT NULL
);

-- One row per submission an accepted event owes (per regime). The id is derived from
-- (regime, source_id, seq): the same event always yields the same id, and the repository uses it as the
-- idempotency key, so a resend after a timeout never creates a second report there.
CREATE TABLE submission (
  id              text COLLATE "C" PRIMARY KEY,
  regime          text NOT NULL CHECK (regime IN ('cftc-part45', 'cftc-part43', 'ktfc')),
  repository      text NOT NULL,
  source_id       text COLLATE "C" NOT NULL,
  seq             bigint NOT NULL,
  trade_key       text COLLATE "C",
  counterparty1   text COLLATE "C",
  submitter       text,
  action_type     text,
  format          text NOT NULL CHECK (format IN ('json', 'csv')),
  payload         text NOT NULL,       -- the submission as sent: flat JSON object or one CSV row
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'acked', 'nacked', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),  -- also the claim lease while a batch is in flight
  batch_id        text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  settled_at      timestamptz,
  due_at          timestamptz NOT NULL,
  disseminate_at  timestamptz,         -- Part 43: earliest public dissemination
  deadline_state  text NOT NULL DEFAULT 'open' CHECK (deadline_state IN ('open', 'warned', 'missed')),
  last_error      text,
  correction_id   bigint               -- set when this submission carries an approved correction
);
CREATE INDEX submission_pending ON submission (repository, regime, next_attempt_at) WHERE status = 'pending';
CREATE INDEX submission_sent ON submission (repository, sent_at) WHERE status = 'sent';
CREATE INDEX submission_due ON submission (due_at) WHERE status IN ('pending', 'sent');
CREATE INDEX submission_trade ON submission (trade_key);
CREATE INDEX submission_event ON submission (source_id, seq);

-- Every transport attempt of a batch (file upload or HTTP request), successful or not.
CREATE TABLE submission_attempt (
  id          bigserial PRIMARY KEY,
  batch_id    text NOT NULL,
  repository  text NOT NULL,
  channel     text NOT NULL,
  records     integer NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  ok          boolean NOT NULL,
  error       text
);
CREATE INDEX submission_attempt_batch ON submission_attempt (batch_id);

-- Every ACK/NACK received, applied or not (a duplicate is kept with duplicate = true).
CREATE TABLE submission_response (
  id            bigserial PRIMARY KEY,
  submission_id text COLLATE "C" NOT NULL,
  batch_id      text,
  received_at   timestamptz NOT NULL DEFAULT now(),
  outcome       text NOT NULL CHECK (outcome IN ('ACK', 'NACK')),
  codes         jsonb NOT NULL DEFAULT '[]',
  duplicate     boolean NOT NULL DEFAULT false
);
CREATE INDEX submission_response_submission ON submission_response (submission_id);

-- Something an analyst must fix: a NACK, a validation rejection, or a submission that could not be delivered.
CREATE TABLE exception (
  id                   bigserial PRIMARY KEY,
  kind                 text NOT NULL CHECK (kind IN ('nack', 'validation', 'undeliverable')),
  status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'correcting', 'closed')),
  regime               text,
  repository           text,
  submission_id        text COLLATE "C",
  source_id            text COLLATE "C",
  seq                  bigint,
  trade_key            text COLLATE "C",
  counterparty1        text COLLATE "C",
  action_type          text,
  codes                jsonb NOT NULL DEFAULT '[]',  -- NACK codes or validation findings
  record               jsonb,                        -- the record as submitted (flat JSON), for the analyst
  opened_at            timestamptz NOT NULL DEFAULT now(),
  closed_at            timestamptz,
  closed_by_submission text,
  closed_reason        text
);
CREATE UNIQUE INDEX exception_submission ON exception (submission_id) WHERE submission_id IS NOT NULL;
CREATE UNIQUE INDEX exception_event ON exception (source_id, seq) WHERE kind = 'validation';
CREATE INDEX exception_trade ON exception (trade_key) WHERE status <> 'closed';

-- An analyst's correction of an exception: a CORR, EROR or REVI record (or a NEWT when the engine never
-- accepted the trade), made by one person and approved by another before it is sent.
CREATE TABLE correction (
  id            bigserial PRIMARY KEY,
  exception_id  bigint NOT NULL REFERENCES exception (id),
  action_type   text NOT NULL CHECK (action_type IN ('CORR', 'EROR', 'REVI', 'NEWT')),
  status        text NOT NULL CHECK (status IN ('pending_approval', 'approved', 'rejected', 'sent', 'acked', 'nacked')),
  maker         text NOT NULL,
  checker       text,
  reason        text,
  record        jsonb NOT NULL,
  trade_key     text COLLATE "C",
  created_at    timestamptz NOT NULL DEFAULT now(),
  decided_at    timestamptz,
  sent_at       timestamptz,
  submission_id text COLLATE "C",
  CONSTRAINT correction_four_eyes CHECK (checker IS NULL OR checker <> maker)
);
CREATE INDEX correction_trade ON correction (trade_key) WHERE status IN ('approved', 'sent');

-- Who did what, when, with the state before and after.
CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  entity    text NOT NULL,
  entity_id text NOT NULL,
  action    text NOT NULL,
  before    jsonb,
  after     jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- Alerts: one active row per dedup key (repeats bump occurrences), acknowledged by a user, resolved by the rule.
CREATE TABLE alert (
  id              bigserial PRIMARY KEY,
  rule            text NOT NULL,
  dedup_key       text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  title           text NOT NULL,
  detail          jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  first_at        timestamptz NOT NULL,
  last_at         timestamptz NOT NULL,
  occurrences     integer NOT NULL DEFAULT 1,
  acknowledged_by text,
  acknowledged_at timestamptz,
  resolved_at     timestamptz
);
CREATE UNIQUE INDEX alert_active ON alert (dedup_key) WHERE status <> 'resolved';

CREATE TABLE alert_delivery (
  id       bigserial PRIMARY KEY,
  alert_id bigint NOT NULL REFERENCES alert (id),
  channel  text NOT NULL CHECK (channel IN ('webhook', 'email')),
  target   text NOT NULL,
  status   text NOT NULL CHECK (status IN ('sent', 'failed', 'rate_limited')),
  at       timestamptz NOT NULL DEFAULT now(),
  error    text
);
CREATE INDEX alert_delivery_alert ON alert_delivery (alert_id);

-- Reconciliation runs and what they found.
CREATE TABLE reconciliation_run (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  ok         boolean NOT NULL,
  summary    jsonb NOT NULL,
  mismatches jsonb NOT NULL
);

-- Report files made on schedule or on demand, kept with their metadata.
CREATE TABLE report_file (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL,
  report_date date NOT NULL,
  path        text NOT NULL,
  format      text NOT NULL,
  rows        integer NOT NULL,
  bytes       bigint NOT NULL,
  sha256      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text NOT NULL
);
CREATE INDEX report_file_kind ON report_file (kind, report_date);
