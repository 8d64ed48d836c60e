-- Scheduled report files may also be delivered through a configured channel (SFTP or HTTPS). The file is kept
-- either way; its delivery is recorded here, and one that failed stays 'pending' so the scheduler's next pass
-- sends it again (nothing is lost to a repository that was down). No target: the file is only kept.
ALTER TABLE report_file
  ADD COLUMN delivery_target     text,          -- the configured repository whose channel carries it
  ADD COLUMN delivery_status     text CHECK (delivery_status IN ('pending', 'delivered')),
  ADD COLUMN delivery_attempts   integer NOT NULL DEFAULT 0,
  ADD COLUMN delivered_at        timestamptz,
  ADD COLUMN delivery_error      text,          -- the last failure, kept after a later success for the record
  ADD CONSTRAINT report_file_delivery CHECK ((delivery_target IS NULL) = (delivery_status IS NULL));
CREATE INDEX report_file_delivery_pending ON report_file (id) WHERE delivery_status = 'pending';
