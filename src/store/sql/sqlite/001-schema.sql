-- v1: sweeps, their trials and every epoch. Migration N brings PRAGMA user_version from N-1 to N. A released
-- migration is never edited in a way that changes the schema a database ends up with: add one instead.
-- Metric columns are REAL but hold the TEXT 'NaN' for NaN (a bound NaN would become NULL); +/-Infinity are REAL
-- infinities. The state lists spell TRIAL_STATES and FINISHED_STATES of src/types.ts (a test checks they agree).
-- v1 as released also created a first trial_summary view, which 002 replaces; a new database goes straight to
-- 002's (test/fixtures/store/sqlite-v1-trial-summary.sql keeps it, and a test upgrades a database made from it).

CREATE TABLE sweeps (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	definition TEXT NOT NULL CHECK (json_valid(definition)),
	definition_hash TEXT NOT NULL,
	source TEXT NOT NULL,
	file TEXT NOT NULL,
	created_at TEXT NOT NULL
);

CREATE TABLE trials (
	id INTEGER PRIMARY KEY,
	sweep_id INTEGER NOT NULL REFERENCES sweeps (id),
	ordinal INTEGER NOT NULL,
	config TEXT NOT NULL CHECK (json_valid(config)),
	config_hash TEXT NOT NULL,
	repeat INTEGER NOT NULL,
	seed INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'completed', 'failed', 'diverged', 'pruned', 'interrupted', 'timeout')),
	attempts INTEGER NOT NULL DEFAULT 0,
	owner TEXT,
	heartbeat_at INTEGER,
	backend TEXT,
	training_path TEXT,
	host TEXT,
	param_count INTEGER,
	started_at TEXT,
	finished_at TEXT,
	epochs_run INTEGER NOT NULL DEFAULT 0,
	test_loss REAL,
	test_accuracy REAL,
	train_seconds REAL,
	error TEXT,
	UNIQUE (sweep_id, config_hash, repeat)
);
CREATE INDEX trials_claim ON trials (sweep_id, state, ordinal);

CREATE TABLE epochs (
	trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
	epoch INTEGER NOT NULL,
	loss REAL,
	accuracy REAL,
	val_loss REAL,
	val_accuracy REAL,
	seconds REAL,
	UNIQUE (trial_id, epoch)
);

-- Defence in depth: the store's own checks come first, these catch any future code path that forgets.
CREATE TRIGGER trials_finished_immutable BEFORE UPDATE ON trials
WHEN OLD.state IN ('completed', 'failed', 'diverged', 'pruned', 'timeout')
BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;
CREATE TRIGGER epochs_of_finished_trial BEFORE INSERT ON epochs
WHEN (SELECT state FROM trials WHERE id = NEW.trial_id) IN ('completed', 'failed', 'diverged', 'pruned', 'timeout')
BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;
