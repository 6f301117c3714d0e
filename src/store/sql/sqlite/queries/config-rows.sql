-- The rows of a sweep's configs as the leaderboard shows them (src/report/leaderboard.ts ConfigRow): each spread is
-- the mean, the sample standard deviation (0 for one value, none for none) and the count of the completed trials'
-- finite values; the states counted; the first trial's config and parameter count; the backends in the order they
-- were first used. Read from the step summaries kept on each finished trial (migration 007), no step. Parameters:
-- @sweepId; @hashes, a JSON array of config hashes to read, or NULL for every config of the sweep.
-- Finite here: a REAL or INTEGER within the doubles (SQLite keeps NaN as the TEXT 'NaN').
WITH
x AS (
	SELECT
		t.config_hash, t.ordinal, t.id, t.state, t.param_count, t.backend,
		CASE WHEN c THEN CASE WHEN typeof(t.best_value) IN ('real', 'integer') AND abs(t.best_value) <= 1.7976931348623157e308 THEN t.best_value END END AS value,
		CASE WHEN c THEN CASE WHEN typeof(t.test_accuracy) IN ('real', 'integer') AND abs(t.test_accuracy) <= 1.7976931348623157e308 THEN t.test_accuracy END END AS test_accuracy,
		CASE WHEN c THEN CASE WHEN json_type(t.final_metrics, '$.test_epoch') IN ('integer', 'real') THEN json_extract(t.final_metrics, '$.test_epoch') END END AS tested_epoch,
		CASE WHEN c THEN CASE WHEN typeof(t.tested_value) IN ('real', 'integer') AND abs(t.tested_value) <= 1.7976931348623157e308 THEN t.tested_value END END AS tested_value,
		CASE WHEN c THEN t.best_step END AS best_epoch,
		CASE WHEN c THEN t.converged_step END AS converged_epoch,
		CASE WHEN c THEN t.epochs_run END AS epochs_run,
		CASE WHEN c THEN CASE WHEN typeof(t.seconds_to_best) IN ('real', 'integer') AND abs(t.seconds_to_best) <= 1.7976931348623157e308 THEN t.seconds_to_best END END AS seconds_to_best,
		CASE WHEN c THEN CASE WHEN typeof(t.train_seconds) IN ('real', 'integer') AND abs(t.train_seconds) <= 1.7976931348623157e308 THEN t.train_seconds END END AS train_seconds,
		CASE WHEN c AND t.epochs_run > 0 THEN CASE WHEN typeof(t.train_seconds) IN ('real', 'integer') AND abs(t.train_seconds) <= 1.7976931348623157e308 THEN t.train_seconds / t.epochs_run END END AS seconds_per_epoch,
		-- A completed trial recorded before the trainer reported test_epoch: its tested epoch is early stopping replayed
		-- on its steps, which src/report/data.ts does for the configs that have one.
		c AND json_type(t.final_metrics, '$.test_epoch') IS NULL AND t.test_accuracy IS NOT NULL AS replay,
		row_number() OVER (PARTITION BY t.config_hash ORDER BY t.ordinal, t.id) AS k,
		row_number() OVER (PARTITION BY t.config_hash, t.param_count IS NULL ORDER BY t.ordinal, t.id) AS kp
	FROM (SELECT *, state = 'completed' AS c FROM trials WHERE sweep_id = @sweepId AND (@hashes IS NULL OR config_hash IN (SELECT value FROM json_each(@hashes)))) t
),
g AS (
	SELECT
		config_hash, count(*) AS trials, sum(state = 'completed') AS completed, sum(replay) AS replay,
		sum(state = 'pending') AS pending, sum(state = 'running') AS running, sum(state = 'failed') AS failed,
		sum(state = 'diverged') AS diverged, sum(state = 'pruned') AS pruned, sum(state = 'interrupted') AS interrupted, sum(state = 'timeout') AS timeout,
		-- The first trial's config, read by id at the end: the configs' text is not carried through the grouping.
		max(CASE WHEN k = 1 THEN id END) AS first_id,
		max(CASE WHEN kp = 1 THEN param_count END) AS param_count,
		count(value) AS value_n, avg(value) AS value_mean,
		count(test_accuracy) AS test_accuracy_n, avg(test_accuracy) AS test_accuracy_mean,
		count(tested_epoch) AS tested_epoch_n, avg(tested_epoch) AS tested_epoch_mean,
		count(tested_value) AS tested_value_n, avg(tested_value) AS tested_value_mean,
		count(best_epoch) AS best_epoch_n, avg(best_epoch) AS best_epoch_mean,
		count(converged_epoch) AS converged_epoch_n, avg(converged_epoch) AS converged_epoch_mean,
		count(epochs_run) AS epochs_run_n, avg(epochs_run) AS epochs_run_mean,
		count(seconds_to_best) AS seconds_to_best_n, avg(seconds_to_best) AS seconds_to_best_mean,
		count(train_seconds) AS train_seconds_n, avg(train_seconds) AS train_seconds_mean,
		count(seconds_per_epoch) AS seconds_per_epoch_n, avg(seconds_per_epoch) AS seconds_per_epoch_mean
	FROM x GROUP BY config_hash
),
s AS (
	SELECT
		g.*,
		b.backends,
		sum((x.value - g.value_mean) * (x.value - g.value_mean)) AS value_ss,
		sum((x.test_accuracy - g.test_accuracy_mean) * (x.test_accuracy - g.test_accuracy_mean)) AS test_accuracy_ss,
		sum((x.tested_epoch - g.tested_epoch_mean) * (x.tested_epoch - g.tested_epoch_mean)) AS tested_epoch_ss,
		sum((x.tested_value - g.tested_value_mean) * (x.tested_value - g.tested_value_mean)) AS tested_value_ss,
		sum((x.best_epoch - g.best_epoch_mean) * (x.best_epoch - g.best_epoch_mean)) AS best_epoch_ss,
		sum((x.converged_epoch - g.converged_epoch_mean) * (x.converged_epoch - g.converged_epoch_mean)) AS converged_epoch_ss,
		sum((x.epochs_run - g.epochs_run_mean) * (x.epochs_run - g.epochs_run_mean)) AS epochs_run_ss,
		sum((x.seconds_to_best - g.seconds_to_best_mean) * (x.seconds_to_best - g.seconds_to_best_mean)) AS seconds_to_best_ss,
		sum((x.train_seconds - g.train_seconds_mean) * (x.train_seconds - g.train_seconds_mean)) AS train_seconds_ss,
		sum((x.seconds_per_epoch - g.seconds_per_epoch_mean) * (x.seconds_per_epoch - g.seconds_per_epoch_mean)) AS seconds_per_epoch_ss
	FROM g JOIN x ON x.config_hash = g.config_hash
	LEFT JOIN (
		SELECT config_hash, json_group_array(backend ORDER BY first) AS backends
		FROM (SELECT config_hash, backend, min(k) AS first FROM x WHERE backend IS NOT NULL GROUP BY config_hash, backend)
		GROUP BY config_hash
	) b ON b.config_hash = g.config_hash
	GROUP BY g.config_hash
)
SELECT
	config_hash, (SELECT t.config FROM trials t WHERE t.id = first_id) AS config, trials, completed, replay, pending, running, failed, diverged, pruned, interrupted, timeout, param_count, backends,
	value_mean, CASE value_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(value_ss / (value_n - 1)) END AS value_std, value_n,
	test_accuracy_mean, CASE test_accuracy_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(test_accuracy_ss / (test_accuracy_n - 1)) END AS test_accuracy_std, test_accuracy_n,
	tested_epoch_mean, CASE tested_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(tested_epoch_ss / (tested_epoch_n - 1)) END AS tested_epoch_std, tested_epoch_n,
	tested_value_mean, CASE tested_value_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(tested_value_ss / (tested_value_n - 1)) END AS tested_value_std, tested_value_n,
	best_epoch_mean, CASE best_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(best_epoch_ss / (best_epoch_n - 1)) END AS best_epoch_std, best_epoch_n,
	converged_epoch_mean, CASE converged_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(converged_epoch_ss / (converged_epoch_n - 1)) END AS converged_epoch_std, converged_epoch_n,
	epochs_run_mean, CASE epochs_run_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(epochs_run_ss / (epochs_run_n - 1)) END AS epochs_run_std, epochs_run_n,
	seconds_to_best_mean, CASE seconds_to_best_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(seconds_to_best_ss / (seconds_to_best_n - 1)) END AS seconds_to_best_std, seconds_to_best_n,
	train_seconds_mean, CASE train_seconds_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(train_seconds_ss / (train_seconds_n - 1)) END AS train_seconds_std, train_seconds_n,
	seconds_per_epoch_mean, CASE seconds_per_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(seconds_per_epoch_ss / (seconds_per_epoch_n - 1)) END AS seconds_per_epoch_std, seconds_per_epoch_n
FROM s
