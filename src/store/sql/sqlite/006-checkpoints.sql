-- Checkpoints (docs/checkpoints.md): a running trial's newest training state (kind 'resume', after epoch `epoch`;
-- replaced at each checkpoint, deleted when the trial finishes) and, with keepBestWeights, a finished trial's
-- final weights (kind 'weights'). `data` is the binary format of src/train/checkpoint.ts, checksummed.
CREATE TABLE checkpoints (
	trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('resume', 'weights')),
	epoch INTEGER NOT NULL,
	data BLOB NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (trial_id, kind)
);
CREATE TRIGGER checkpoints_of_finished_trial BEFORE INSERT ON checkpoints
WHEN (SELECT state FROM trials WHERE id = NEW.trial_id) IN ('completed', 'failed', 'diverged', 'pruned', 'timeout')
BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;
