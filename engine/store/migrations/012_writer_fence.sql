-- One writer per database. The ingesting process holds a session-level advisory lock (engine/store/writer-lock.ts)
-- on a connection of its own; each of its group commits calls this function just before COMMIT, so a commit from a
-- process that has lost the lock (its lock connection dropped and another process took it) fails instead of writing
-- beside the new holder. The lock is the pair (1398231122, 1) ('SWPR', 1): objsubid 2 marks the two-int form.
CREATE FUNCTION swaprep_assert_writer(holder integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND classid = 1398231122 AND objid = 1 AND objsubid = 2 AND granted AND pid = holder
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  ) THEN
    RAISE EXCEPTION 'this process no longer holds the writer lock of database %', current_database()
      USING ERRCODE = 'SW001', HINT = 'another swaprep process writes to this database; see swaprep_writer_holder()';
  END IF;
END $$;
