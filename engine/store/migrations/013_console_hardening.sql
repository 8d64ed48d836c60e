-- Console hardening: a password made by the engine (the first admin's, written to a file in the data
-- directory) must be changed by its user before the console lets them do anything else. A password an operator
-- chose (SWAPREP_ADMIN_PASSWORD) or an admin set does not.
ALTER TABLE console_user ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
