-- v5: generic metrics. A trial reports steps (the built-in trainer's epochs are steps), each with any number of
-- named metrics: `steps` holds one row per step (its id only grows, so a reader can ask for the steps after a
-- cursor), `metrics` one row per metric of a step (the REAL-or-'NaN' scheme of 001). The v1 `epochs` table moves
-- into them (its four metrics named loss, accuracy, val_loss, val_accuracy) and becomes a view with the same
-- columns, so queries written against it read the built-in trials as before. Trials gain their final metrics
-- (JSON, non-finite numbers as the strings "NaN", "Infinity", "-Infinity") and, for program trials, a log path.
-- The report views rank by the sweep's metric and goal (definition.metric, else objective val_loss -> minimize,
-- else val_accuracy maximize: src/types.ts sweepMetric).

DROP VIEW pareto;
DROP VIEW leaderboard;
DROP VIEW trial_summary;

CREATE TABLE steps (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
	step INTEGER NOT NULL,
	seconds REAL,
	UNIQUE (trial_id, step)
);

CREATE TABLE metrics (
	step_id INTEGER NOT NULL REFERENCES steps (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	value REAL,
	PRIMARY KEY (step_id, name)
) WITHOUT ROWID;

INSERT INTO steps (trial_id, step, seconds) SELECT trial_id, epoch, seconds FROM epochs ORDER BY trial_id, epoch;
INSERT INTO metrics (step_id, name, value)
SELECT s.id, 'loss', e.loss FROM epochs e JOIN steps s ON s.trial_id = e.trial_id AND s.step = e.epoch WHERE e.loss IS NOT NULL;
INSERT INTO metrics (step_id, name, value)
SELECT s.id, 'accuracy', e.accuracy FROM epochs e JOIN steps s ON s.trial_id = e.trial_id AND s.step = e.epoch WHERE e.accuracy IS NOT NULL;
INSERT INTO metrics (step_id, name, value)
SELECT s.id, 'val_loss', e.val_loss FROM epochs e JOIN steps s ON s.trial_id = e.trial_id AND s.step = e.epoch WHERE e.val_loss IS NOT NULL;
INSERT INTO metrics (step_id, name, value)
SELECT s.id, 'val_accuracy', e.val_accuracy FROM epochs e JOIN steps s ON s.trial_id = e.trial_id AND s.step = e.epoch WHERE e.val_accuracy IS NOT NULL;
DROP TABLE epochs;

CREATE VIEW epochs AS
SELECT
	s.trial_id,
	s.step AS epoch,
	(SELECT m.value FROM metrics m WHERE m.step_id = s.id AND m.name = 'loss') AS loss,
	(SELECT m.value FROM metrics m WHERE m.step_id = s.id AND m.name = 'accuracy') AS accuracy,
	(SELECT m.value FROM metrics m WHERE m.step_id = s.id AND m.name = 'val_loss') AS val_loss,
	(SELECT m.value FROM metrics m WHERE m.step_id = s.id AND m.name = 'val_accuracy') AS val_accuracy,
	s.seconds
FROM steps s;

-- The next claimable trial in one index lookup: a claim no longer scans the sweep's trials (thousands of short
-- trials claim thousands of times).
CREATE INDEX trials_claimable ON trials (sweep_id, ordinal, id) WHERE state IN ('pending', 'interrupted');

ALTER TABLE trials ADD COLUMN final_metrics TEXT CHECK (final_metrics IS NULL OR json_valid(final_metrics));
ALTER TABLE trials ADD COLUMN log_path TEXT;

CREATE TRIGGER steps_of_finished_trial BEFORE INSERT ON steps
WHEN (SELECT state FROM trials WHERE id = NEW.trial_id) IN ('completed', 'failed', 'diverged', 'pruned', 'timeout')
BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;
CREATE TRIGGER metrics_of_finished_trial BEFORE INSERT ON metrics
WHEN (SELECT t.state FROM steps s JOIN trials t ON t.id = s.trial_id WHERE s.id = NEW.step_id) IN ('completed', 'failed', 'diverged', 'pruned', 'timeout')
BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;

-- Each sweep's metric and goal, as sweepMetric reads them from the definition.
CREATE VIEW sweep_metric AS
SELECT
	id AS sweep_id,
	name AS sweep,
	coalesce(json_extract(definition, '$.metric.name'), CASE json_extract(definition, '$.objective') WHEN 'val_loss' THEN 'val_loss' ELSE 'val_accuracy' END) AS metric,
	coalesce(json_extract(definition, '$.metric.goal'), CASE json_extract(definition, '$.objective') WHEN 'val_loss' THEN 'minimize' ELSE 'maximize' END) AS goal
FROM sweeps;

-- trial_summary keeps v2's columns in their order (best_epoch is now the step of the best value of the sweep's
-- metric, which for a val_accuracy sweep is the epoch it always was) and adds metric, goal and best_value. The
-- best value is the best finite one (the first step on ties), as src/report/leaderboard.ts picks it.
CREATE VIEW trial_summary AS
WITH base AS (
	SELECT
		s.name AS sweep,
		t.id AS trial_id,
		t.ordinal,
		t.state,
		t.config,
		t.repeat,
		t.seed,
		t.param_count,
		t.epochs_run,
		last.loss AS final_loss,
		last.accuracy AS final_accuracy,
		last.val_loss AS final_val_loss,
		last.val_accuracy AS final_val_accuracy,
		(SELECT max(e.val_accuracy) FROM epochs e WHERE e.trial_id = t.id AND typeof(e.val_accuracy) = 'real') AS best_val_accuracy,
		best.step AS best_epoch,
		(SELECT min(e.val_loss) FROM epochs e WHERE e.trial_id = t.id AND typeof(e.val_loss) = 'real') AS min_val_loss,
		t.test_loss,
		t.test_accuracy,
		t.train_seconds,
		t.backend,
		t.config_hash,
		sm.metric,
		sm.goal,
		best_metric.value AS best_value
	FROM trials t
	JOIN sweeps s ON s.id = t.sweep_id
	JOIN sweep_metric sm ON sm.sweep_id = t.sweep_id
	LEFT JOIN epochs last ON last.trial_id = t.id AND last.epoch = (SELECT max(st.step) FROM steps st WHERE st.trial_id = t.id)
	LEFT JOIN steps best ON best.id = (
		SELECT st.id FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = sm.metric
		WHERE st.trial_id = t.id AND typeof(m.value) = 'real' AND abs(m.value) <= 1.7976931348623157e308
		ORDER BY CASE WHEN sm.goal = 'minimize' THEN m.value END ASC, CASE WHEN sm.goal = 'maximize' THEN m.value END DESC, st.step ASC
		LIMIT 1
	)
	LEFT JOIN metrics best_metric ON best_metric.step_id = best.id AND best_metric.name = sm.metric
)
SELECT
	sweep, trial_id, ordinal, state, config, repeat, seed, param_count, epochs_run, final_loss, final_accuracy, final_val_loss,
	final_val_accuracy, best_val_accuracy, best_epoch, min_val_loss, test_loss, test_accuracy, train_seconds, backend, config_hash,
	(SELECT min(e.epoch) FROM epochs e
		WHERE e.trial_id = base.trial_id AND typeof(e.val_loss) = 'real' AND abs(e.val_loss) <= 1.7976931348623157e308
		AND e.val_loss <= base.min_val_loss + max(0.02 * abs(base.min_val_loss), 0.001)) AS converged_epoch,
	(SELECT sum(st.seconds) FROM steps st
		WHERE st.trial_id = base.trial_id AND st.step <= base.best_epoch AND typeof(st.seconds) = 'real') AS seconds_to_best,
	metric,
	goal,
	best_value
FROM base;

-- leaderboard keeps v2's columns and adds metric, goal and value (value_std): the mean best value of the sweep's
-- metric over a config's completed trials, which ranks the configs (higher first for maximize, lower for minimize).
CREATE VIEW leaderboard AS
WITH done AS (
	SELECT
		sweep,
		config_hash,
		config,
		param_count,
		backend,
		CASE WHEN abs(best_val_accuracy) <= 1.7976931348623157e308 THEN best_val_accuracy END AS val_accuracy,
		CASE WHEN typeof(test_accuracy) = 'real' AND abs(test_accuracy) <= 1.7976931348623157e308 THEN test_accuracy END AS test_accuracy,
		epochs_run,
		best_epoch,
		converged_epoch,
		CASE WHEN abs(seconds_to_best) <= 1.7976931348623157e308 THEN seconds_to_best END AS seconds_to_best,
		CASE WHEN typeof(train_seconds) = 'real' AND abs(train_seconds) <= 1.7976931348623157e308 THEN train_seconds END AS train_seconds,
		best_value AS value
	FROM trial_summary
	WHERE state = 'completed'
),
configs AS (
	SELECT sweep, config_hash, min(config) AS config, count(*) AS trials, sum(state = 'completed') AS completed, min(metric) AS metric, min(goal) AS goal
	FROM trial_summary
	GROUP BY sweep, config_hash
),
stats AS (
	SELECT
		sweep,
		config_hash,
		avg(val_accuracy) AS val_accuracy,
		CASE WHEN count(val_accuracy) > 1
			THEN sqrt(max(0, (sum(val_accuracy * val_accuracy) - sum(val_accuracy) * sum(val_accuracy) / count(val_accuracy)) / (count(val_accuracy) - 1)))
			WHEN count(val_accuracy) = 1 THEN 0.0 END AS val_accuracy_std,
		avg(test_accuracy) AS test_accuracy,
		CASE WHEN count(test_accuracy) > 1
			THEN sqrt(max(0, (sum(test_accuracy * test_accuracy) - sum(test_accuracy) * sum(test_accuracy) / count(test_accuracy)) / (count(test_accuracy) - 1)))
			WHEN count(test_accuracy) = 1 THEN 0.0 END AS test_accuracy_std,
		max(param_count) AS param_count,
		avg(epochs_run) AS epochs_run,
		avg(best_epoch) AS best_epoch,
		avg(converged_epoch) AS converged_epoch,
		avg(seconds_to_best) AS seconds_to_best,
		avg(train_seconds) AS train_seconds,
		CASE WHEN count(train_seconds) > 1
			THEN sqrt(max(0, (sum(train_seconds * train_seconds) - sum(train_seconds) * sum(train_seconds) / count(train_seconds)) / (count(train_seconds) - 1)))
			WHEN count(train_seconds) = 1 THEN 0.0 END AS train_seconds_std,
		avg(train_seconds / nullif(epochs_run, 0)) AS seconds_per_epoch,
		group_concat(DISTINCT backend) AS backends,
		avg(value) AS value,
		CASE WHEN count(value) > 1
			THEN sqrt(max(0, (sum(value * value) - sum(value) * sum(value) / count(value)) / (count(value) - 1)))
			WHEN count(value) = 1 THEN 0.0 END AS value_std
	FROM done
	GROUP BY sweep, config_hash
)
SELECT
	c.sweep,
	CASE WHEN s.value IS NULL THEN NULL
		ELSE rank() OVER (PARTITION BY c.sweep ORDER BY s.value IS NULL,
			CASE WHEN c.goal = 'minimize' THEN s.value END ASC, CASE WHEN c.goal = 'maximize' THEN s.value END DESC) END AS rank,
	c.config_hash,
	c.config,
	c.trials,
	c.completed,
	s.val_accuracy,
	s.val_accuracy_std,
	s.test_accuracy,
	s.test_accuracy_std,
	s.param_count,
	s.epochs_run,
	s.best_epoch,
	s.converged_epoch,
	s.seconds_to_best,
	s.train_seconds,
	s.train_seconds_std,
	s.seconds_per_epoch,
	s.backends,
	c.metric,
	c.goal,
	s.value,
	s.value_std
FROM configs c
LEFT JOIN stats s ON s.sweep = c.sweep AND s.config_hash = c.config_hash;

-- The configs no other config of the sweep beats on both the metric (by its goal) and mean training seconds.
CREATE VIEW pareto AS
SELECT l.* FROM leaderboard l
WHERE l.value IS NOT NULL AND l.train_seconds IS NOT NULL
AND NOT EXISTS (
	SELECT 1 FROM leaderboard o
	WHERE o.sweep = l.sweep AND o.value IS NOT NULL AND o.train_seconds IS NOT NULL
	AND (CASE WHEN l.goal = 'minimize' THEN o.value <= l.value ELSE o.value >= l.value END) AND o.train_seconds <= l.train_seconds
	AND (o.value <> l.value OR o.train_seconds < l.train_seconds)
);
