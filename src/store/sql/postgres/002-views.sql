-- The views of sql/sqlite/002-views.sql. NaN is an ordinary double precision value here and sorts above every
-- number, so wherever SQLite's views test typeof(x) = 'real' these test x <> 'NaN' (false for NULL too).
-- test/store/postgres.test.ts checks that both engines' views give the same rows for the same data.

DROP VIEW IF EXISTS trial_summary;
CREATE VIEW trial_summary AS
WITH base AS (
	SELECT
		s.name AS sweep, t.id AS trial_id, t.ordinal, t.state, t.config, t.repeat, t.seed, t.param_count, t.epochs_run,
		last.loss AS final_loss, last.accuracy AS final_accuracy, last.val_loss AS final_val_loss, last.val_accuracy AS final_val_accuracy,
		best.val_accuracy AS best_val_accuracy, best.epoch AS best_epoch,
		(SELECT min(e.val_loss) FROM epochs e WHERE e.trial_id = t.id AND e.val_loss <> 'NaN') AS min_val_loss,
		t.test_loss, t.test_accuracy, t.train_seconds, t.backend, t.config_hash
	FROM trials t
	JOIN sweeps s ON s.id = t.sweep_id
	LEFT JOIN LATERAL (SELECT * FROM epochs e WHERE e.trial_id = t.id ORDER BY e.epoch DESC LIMIT 1) last ON true
	LEFT JOIN LATERAL (
		SELECT * FROM epochs e WHERE e.trial_id = t.id AND e.val_accuracy <> 'NaN' ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1
	) best ON true
)
SELECT
	base.*,
	-- SQLite's -Infinity + Infinity is NULL, PostgreSQL's is NaN (which every value is <=): hence the finite guard.
	(SELECT min(e.epoch) FROM epochs e
		WHERE e.trial_id = base.trial_id AND abs(e.val_loss) <= '1.7976931348623157e308'::float8 AND abs(base.min_val_loss) <= '1.7976931348623157e308'::float8
		AND e.val_loss <= base.min_val_loss + greatest(0.02 * abs(base.min_val_loss), 0.001)) AS converged_epoch,
	(SELECT sum(e.seconds) FROM epochs e
		WHERE e.trial_id = base.trial_id AND e.epoch <= base.best_epoch AND e.seconds <> 'NaN') AS seconds_to_best
FROM base;

CREATE VIEW leaderboard AS
WITH done AS (
	SELECT
		sweep, config_hash, config, param_count, backend,
		CASE WHEN abs(best_val_accuracy) <= '1.7976931348623157e308'::float8 THEN best_val_accuracy END AS val_accuracy,
		CASE WHEN abs(test_accuracy) <= '1.7976931348623157e308'::float8 THEN test_accuracy END AS test_accuracy,
		epochs_run, best_epoch, converged_epoch,
		CASE WHEN abs(seconds_to_best) <= '1.7976931348623157e308'::float8 THEN seconds_to_best END AS seconds_to_best,
		CASE WHEN abs(train_seconds) <= '1.7976931348623157e308'::float8 THEN train_seconds END AS train_seconds
	FROM trial_summary
	WHERE state = 'completed'
),
configs AS (
	SELECT sweep, config_hash, min(config) AS config, count(*)::integer AS trials,
		(count(*) FILTER (WHERE state = 'completed'))::integer AS completed
	FROM trial_summary
	GROUP BY sweep, config_hash
),
stats AS (
	SELECT
		sweep,
		config_hash,
		avg(val_accuracy) AS val_accuracy,
		CASE WHEN count(val_accuracy) > 1
			THEN sqrt(greatest(0, (sum(val_accuracy * val_accuracy) - sum(val_accuracy) * sum(val_accuracy) / count(val_accuracy)) / (count(val_accuracy) - 1)))
			WHEN count(val_accuracy) = 1 THEN 0.0::float8 END AS val_accuracy_std,
		avg(test_accuracy) AS test_accuracy,
		CASE WHEN count(test_accuracy) > 1
			THEN sqrt(greatest(0, (sum(test_accuracy * test_accuracy) - sum(test_accuracy) * sum(test_accuracy) / count(test_accuracy)) / (count(test_accuracy) - 1)))
			WHEN count(test_accuracy) = 1 THEN 0.0::float8 END AS test_accuracy_std,
		max(param_count) AS param_count,
		avg(epochs_run)::float8 AS epochs_run,
		avg(best_epoch)::float8 AS best_epoch,
		avg(converged_epoch)::float8 AS converged_epoch,
		avg(seconds_to_best) AS seconds_to_best,
		avg(train_seconds) AS train_seconds,
		CASE WHEN count(train_seconds) > 1
			THEN sqrt(greatest(0, (sum(train_seconds * train_seconds) - sum(train_seconds) * sum(train_seconds) / count(train_seconds)) / (count(train_seconds) - 1)))
			WHEN count(train_seconds) = 1 THEN 0.0::float8 END AS train_seconds_std,
		avg(train_seconds / nullif(epochs_run, 0)) AS seconds_per_epoch,
		string_agg(DISTINCT backend, ',') AS backends
	FROM done
	GROUP BY sweep, config_hash
)
SELECT
	c.sweep,
	CASE WHEN s.val_accuracy IS NULL THEN NULL
		ELSE (rank() OVER (PARTITION BY c.sweep ORDER BY s.val_accuracy IS NULL, s.val_accuracy DESC))::integer END AS rank,
	c.config_hash, c.config, c.trials, c.completed,
	s.val_accuracy, s.val_accuracy_std, s.test_accuracy, s.test_accuracy_std, s.param_count, s.epochs_run, s.best_epoch,
	s.converged_epoch, s.seconds_to_best, s.train_seconds, s.train_seconds_std, s.seconds_per_epoch, s.backends
FROM configs c
LEFT JOIN stats s ON s.sweep = c.sweep AND s.config_hash = c.config_hash;

CREATE VIEW pareto AS
SELECT l.* FROM leaderboard l
WHERE l.val_accuracy IS NOT NULL AND l.train_seconds IS NOT NULL
AND NOT EXISTS (
	SELECT 1 FROM leaderboard o
	WHERE o.sweep = l.sweep AND o.val_accuracy IS NOT NULL AND o.train_seconds IS NOT NULL
	AND o.val_accuracy >= l.val_accuracy AND o.train_seconds <= l.train_seconds
	AND (o.val_accuracy > l.val_accuracy OR o.train_seconds < l.train_seconds)
);
