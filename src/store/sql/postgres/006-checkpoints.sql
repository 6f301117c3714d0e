-- The checkpoints table of sql/sqlite/005-checkpoints.sql in PostgreSQL's dialect (bytea for the blob).
CREATE TABLE checkpoints (
	trial_id integer NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind IN ('resume', 'weights')),
	epoch integer NOT NULL,
	data bytea NOT NULL,
	created_at text NOT NULL,
	PRIMARY KEY (trial_id, kind)
);
-- The epochs' guard reads only NEW.trial_id, so it serves this table as well.
CREATE TRIGGER checkpoints_of_finished_trial BEFORE INSERT ON checkpoints
FOR EACH ROW EXECUTE FUNCTION sweeplab_refuse_epoch_of_finished();
