-- Scores stored the way they are written: in batches. event_score held one row per scored event (a heap tuple and a
-- primary-key entry each: 140 bytes and 165 bytes of WAL per event), while nearly every score arrives in a write of
-- many live events, scored once and never changed. Now:
--
--   score_batch   one row per run of one source's events in one write: the seq range, the seqs in it that are not in
--                 the batch (holes: usually none), the flagged ones, and the ensemble scores as a real[] in seq order.
--                 Ranges of a source never overlap (checked by the trigger below), so an event's batch is the one with
--                 the greatest min_seq at or below its seq: one index probe, and a look at `holes`.
--   score_record  the former event_score, one row per event, for what is not a live batch: events recorded as not
--                 scored (no model yet, a batch that failed twice, an unreadable record), the sweep's rescoring of
--                 them (upgraded in place, as before), and the rare write that met scores already stored.
--   review_item   full detail of the flagged events only: the features that made the score and, from now on, each
--                 model's raw score (written into batches for every event, they were half of a batch's bytes).
--
-- A 'scored' score is never overwritten: an event is in at most one batch (the trigger refuses a batch whose range
-- overlaps a stored batch of the source, or that holds an event with a score_record row), and the staged write leaves
-- out the events a batch holds. event_score becomes a view over both, for reports and ad hoc queries; an event's score
-- is read with event_score_of(source_id, seq).

ALTER TABLE event_score RENAME TO score_record;
ALTER INDEX event_score_pkey RENAME TO score_record_pkey;
ALTER INDEX event_score_not_scored RENAME TO score_record_not_scored;

ALTER TABLE review_item ADD COLUMN iforest real, ADD COLUMN autoencoder real, ADD COLUMN zscore real;
UPDATE review_item r SET iforest = s.iforest, autoencoder = s.autoencoder, zscore = s.zscore
  FROM score_record s WHERE s.source_id = r.source_id AND s.seq = r.seq;

CREATE TABLE score_batch (
  source_id   text COLLATE "C" NOT NULL,
  min_seq     bigint      NOT NULL,
  max_seq     bigint      NOT NULL,
  version_id  text COLLATE "C",
  attempts    integer     NOT NULL DEFAULT 1,
  scored_at   timestamptz NOT NULL DEFAULT now(),
  holes       integer[],            -- offsets (seq - min_seq) of the range's seqs the batch does not hold; NULL: none
  flagged     integer[],            -- offsets of the flagged events (each with its review_item); NULL: none
  scores      real[]      NOT NULL, -- ensemble score of each event held, in seq order
  iforest     real[],               -- each model's raw score, in the same order: only in the batches this migration
  autoencoder real[],               -- makes of event_score's rows (new batches leave them NULL; a flagged event's are
  zscore      real[],               -- in its review_item)
  PRIMARY KEY (source_id, min_seq),
  CHECK (max_seq >= min_seq),
  CHECK (cardinality(scores) = max_seq - min_seq + 1 - coalesce(cardinality(holes), 0))
);

-- The scores already stored move into batches: runs of a source's scored rows in seq order that share a version,
-- attempts and write (scored_at is the writing transaction's time), cut where the seqs jump by more than 17 or after
-- 1,024 events, as the writer cuts them. Runs of consecutive scored rows cannot overlap.
WITH s AS (
  SELECT source_id, seq, version_id, attempts, scored_at, score, flagged, iforest, autoencoder, zscore,
         lag(seq) OVER w AS prev_seq, lag(version_id) OVER w AS prev_version, lag(attempts) OVER w AS prev_attempts, lag(scored_at) OVER w AS prev_at
    FROM score_record WHERE status = 'scored'
  WINDOW w AS (PARTITION BY source_id ORDER BY seq)
), runs AS (
  SELECT *, sum(CASE WHEN prev_seq IS NULL OR seq - prev_seq > 17 OR version_id IS DISTINCT FROM prev_version
                       OR attempts <> prev_attempts OR scored_at <> prev_at THEN 1 ELSE 0 END)
              OVER (PARTITION BY source_id ORDER BY seq) AS run
    FROM s
), parts AS (
  SELECT *, (row_number() OVER (PARTITION BY source_id, run ORDER BY seq) - 1) / 1024 AS part FROM runs
), agg AS (
  SELECT source_id, min(seq) AS min_seq, max(seq) AS max_seq, (array_agg(version_id))[1] AS version_id, min(attempts) AS attempts,
         min(scored_at) AS scored_at, array_agg(seq ORDER BY seq) AS seqs, array_agg(seq ORDER BY seq) FILTER (WHERE flagged) AS flagged_seqs,
         array_agg(score ORDER BY seq) AS scores, array_agg(iforest ORDER BY seq) AS iforest, array_agg(autoencoder ORDER BY seq) AS autoencoder,
         array_agg(zscore ORDER BY seq) AS zscore
    FROM parts GROUP BY source_id, run, part
)
INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, attempts, scored_at, holes, flagged, scores, iforest, autoencoder, zscore)
SELECT source_id, min_seq, max_seq, version_id, attempts, scored_at,
       NULLIF(ARRAY(SELECT o FROM generate_series(0, (max_seq - min_seq)::integer) o
                    EXCEPT SELECT (q - min_seq)::integer FROM unnest(seqs) q ORDER BY 1), '{}'),
       (SELECT array_agg((f - min_seq)::integer ORDER BY f) FROM unnest(flagged_seqs) f),
       scores, iforest, autoencoder, zscore
  FROM agg;
DELETE FROM score_record WHERE status = 'scored';

-- Keeps batches apart (see the top of the file). Writers of scores take advisory lock 7409 first, so two of them do
-- not both find a range free; a refused batch fails its whole statement with exclusion_violation, and ScoreWriter
-- then stores that write the slow, exact way (score_record, one row per event).
CREATE FUNCTION score_batch_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7409);
  IF EXISTS (SELECT 1 FROM (SELECT b.max_seq FROM score_batch b
                             WHERE b.source_id = NEW.source_id AND b.min_seq <= NEW.max_seq AND b.min_seq <> NEW.min_seq
                             ORDER BY b.min_seq DESC LIMIT 1) p
              WHERE p.max_seq >= NEW.min_seq)
     OR EXISTS (SELECT 1 FROM score_record r
                 WHERE r.source_id = NEW.source_id AND r.seq BETWEEN NEW.min_seq AND NEW.max_seq
                   AND NOT coalesce((r.seq - NEW.min_seq)::integer = ANY (NEW.holes), false)) THEN
    RAISE EXCEPTION 'score batch %#%..% overlaps scores already stored', NEW.source_id, NEW.min_seq, NEW.max_seq
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER score_batch_disjoint AFTER INSERT OR UPDATE OF source_id, min_seq, max_seq, holes ON score_batch
  FOR EACH ROW EXECUTE FUNCTION score_batch_check();

-- The score of one event (at most one row), wherever it is stored. A single SELECT in SQL: the planner inlines it
-- into the calling query (an index probe on score_record's key, one on score_batch's).
CREATE FUNCTION event_score_of(p_source_id text, p_seq bigint)
RETURNS TABLE (status text, version_id text, score real, flagged boolean, iforest real, autoencoder real, zscore real,
               reason text, attempts integer, scored_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT r.status, r.version_id, r.score, r.flagged, r.iforest, r.autoencoder, r.zscore, r.reason, r.attempts, r.scored_at
    FROM score_record r
   WHERE r.source_id = p_source_id AND r.seq = p_seq
  UNION ALL
  SELECT 'scored', b.version_id, b.scores[x.i], coalesce(x.o = ANY (b.flagged), false), coalesce(b.iforest[x.i], v.iforest),
         coalesce(b.autoencoder[x.i], v.autoencoder), coalesce(b.zscore[x.i], v.zscore), NULL, b.attempts, b.scored_at
    FROM (SELECT * FROM score_batch b WHERE b.source_id = p_source_id AND b.min_seq <= p_seq ORDER BY b.min_seq DESC LIMIT 1) b
   CROSS JOIN LATERAL (SELECT (p_seq - b.min_seq)::integer AS o,  -- the seq's offset, and its place in the arrays (OFFSET 0: counted once)
                              (p_seq - b.min_seq)::integer + 1 - (SELECT count(*) FROM unnest(b.holes) h WHERE h < p_seq - b.min_seq)::integer AS i
                       OFFSET 0) x
    LEFT JOIN review_item v ON v.source_id = p_source_id AND v.seq = p_seq
   WHERE b.max_seq >= p_seq AND NOT coalesce(x.o = ANY (b.holes), false)
$$;

-- Every stored score, one row per event, as event_score had them (not for point look-ups: a filter on seq does not
-- reach score_batch's index; use event_score_of).
CREATE VIEW event_score AS
SELECT source_id, seq, status, version_id, score, flagged, iforest, autoencoder, zscore, reason, attempts, scored_at
  FROM score_record
UNION ALL
SELECT b.source_id, b.min_seq + x.o, 'scored', b.version_id, b.scores[x.i], coalesce(x.o = ANY (b.flagged), false),
       coalesce(b.iforest[x.i], v.iforest), coalesce(b.autoencoder[x.i], v.autoencoder), coalesce(b.zscore[x.i], v.zscore), NULL, b.attempts, b.scored_at
  FROM score_batch b
 CROSS JOIN LATERAL (SELECT o, row_number() OVER (ORDER BY o)::integer AS i
                       FROM generate_series(0, (b.max_seq - b.min_seq)::integer) o
                      WHERE NOT coalesce(o = ANY (b.holes), false)) x
  LEFT JOIN review_item v ON v.source_id = b.source_id AND v.seq = b.min_seq + x.o;
