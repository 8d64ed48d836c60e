-- Anomaly scoring (gpu-pool/): model versions and their files, one score row per event, the review queue
-- of flagged events, and analysts' verdicts. Events are keyed by (source_id, seq), the event_log key; no
-- foreign key to event_log, because scores are written asynchronously after the event's own commit and a
-- foreign-key check per score row would cost the hot path an index probe for nothing.

-- A trained model version: its manifest (files, features version, ensemble normalisation and thresholds,
-- training parameters) and its evaluation on planted anomalies. At most one version is active.
CREATE TABLE model_version (
  version_id       text COLLATE "C" PRIMARY KEY,
  created_at       timestamptz NOT NULL DEFAULT now(),
  features_version integer     NOT NULL,
  source           text        NOT NULL,           -- what it was trained on: 'db', 'synthetic', a file name
  manifest         jsonb       NOT NULL,
  metrics          jsonb       NOT NULL,           -- manifest.evaluation, kept apart for queries
  active           boolean     NOT NULL DEFAULT false,
  activated_at     timestamptz
);
CREATE UNIQUE INDEX model_version_single_active ON model_version (active) WHERE active;

-- The version's files (the .onnx graphs and reference.json), so any engine can load any version.
CREATE TABLE model_file (
  version_id text COLLATE "C" NOT NULL REFERENCES model_version ON DELETE CASCADE,
  name       text  NOT NULL,
  bytes      bytea NOT NULL,
  sha256     text  NOT NULL,
  PRIMARY KEY (version_id, name)
);

-- One row per event the scorer has seen. 'not_scored' events (no model yet, a batch that failed twice, an
-- unreadable record) are picked up again by the service's sweep and updated in place once scored; a
-- 'scored' row is never overwritten, which is what makes a resubmitted event harmless.
CREATE TABLE event_score (
  source_id   text COLLATE "C" NOT NULL,
  seq         bigint      NOT NULL,
  status      text        NOT NULL CHECK (status IN ('scored', 'not_scored')),
  version_id  text COLLATE "C",
  score       real,                     -- ensemble score (surprise units: 2 = the model's 1-in-100)
  flagged     boolean,
  iforest     real,                     -- each model's raw score
  autoencoder real,
  zscore      real,
  reason      text,                     -- why not scored
  attempts    integer     NOT NULL DEFAULT 1,
  scored_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, seq)
);
CREATE INDEX event_score_not_scored ON event_score (scored_at) WHERE status = 'not_scored';

-- The review queue: flagged events with the features that made the score, and the analyst's decision.
CREATE TABLE review_item (
  source_id    text COLLATE "C" NOT NULL,
  seq          bigint      NOT NULL,
  trade_key    text COLLATE "C",
  version_id   text COLLATE "C" NOT NULL,
  score        real        NOT NULL,
  top_features jsonb       NOT NULL,    -- [{"feature","value","contribution"}...]
  state        text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'dismissed')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  decided_at   timestamptz,
  PRIMARY KEY (source_id, seq)
);
CREATE INDEX review_item_open ON review_item (created_at) WHERE state = 'open';

-- Analysts' verdicts, append-only (a later verdict on the same event supersedes an earlier one). Training
-- keeps confirmed anomalies out of "normal" and reports how the ensemble ranks labelled events.
CREATE TABLE review_label (
  id         bigserial PRIMARY KEY,
  source_id  text COLLATE "C" NOT NULL,
  seq        bigint      NOT NULL,
  verdict    text        NOT NULL CHECK (verdict IN ('confirmed', 'dismissed')),
  analyst    text        NOT NULL,
  note       text,
  labelled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_label_event ON review_label (source_id, seq);
