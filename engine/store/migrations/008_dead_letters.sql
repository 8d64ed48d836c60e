-- Dead letters: events a follower of the event log (the submission intake, the console's trade projector, the
-- scoring) could not process, set aside so that it goes on with the next ones instead of retrying the same event
-- forever. One row per (follower, event); a follower that meets the event again (a retry that failed) bumps
-- `attempts` and reopens the row. `swaprep dead-letters list` shows them, `swaprep dead-letters retry` asks the
-- follower to try again (status 'retry'); the follower resolves the row when it succeeds.
-- The error is stored as engine/store/dead-letters.ts sanitises it (no NUL, at most 2,000 characters): the event
-- that failed may be exactly the one whose text PostgreSQL refuses.
CREATE TABLE dead_letter (
  id          bigserial PRIMARY KEY,
  follower    text NOT NULL,                       -- 'submission-intake', 'projection', 'scoring'
  source_id   text COLLATE "C" NOT NULL,           -- the event's event_log key
  seq         bigint NOT NULL,
  error       text NOT NULL,
  code        text,                                -- SQLSTATE, or the error's class when it has none
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retry', 'resolved')),
  attempts    integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  UNIQUE (follower, source_id, seq)
);
-- What each follower's periodic retry looks for (a handful of rows at most, usually none).
CREATE INDEX dead_letter_retry ON dead_letter (follower) WHERE status = 'retry';
