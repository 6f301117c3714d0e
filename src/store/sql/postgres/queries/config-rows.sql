-- The rows of a sweep's configs as the leaderboard shows them, as sql/sqlite/queries/config-rows.sql (read its
-- comment). Parameters: @sweepId; @hashes, a JSON array of config hashes, or NULL for every config of the sweep.
WITH
x AS (
	SELECT
		t.config_hash, t.ordinal, t.id, t.state, t.param_count, t.backend,
		CASE WHEN c THEN CASE WHEN abs(t.best_value) <= '1.7976931348623157e308'::float8 THEN t.best_value END END AS value,
		CASE WHEN c THEN CASE WHEN abs(t.test_accuracy) <= '1.7976931348623157e308'::float8 THEN t.test_accuracy END END AS test_accuracy,
		CASE WHEN c AND jsonb_typeof(t.final_metrics::jsonb -> 'test_epoch') = 'number' THEN (t.final_metrics::jsonb ->> 'test_epoch')::float8 END AS tested_epoch,
		CASE WHEN c THEN CASE WHEN abs(t.tested_value) <= '1.7976931348623157e308'::float8 THEN t.tested_value END END AS tested_value,
		CASE WHEN c THEN t.best_step::float8 END AS best_epoch,
		CASE WHEN c THEN t.converged_step::float8 END AS converged_epoch,
		CASE WHEN c THEN t.epochs_run::float8 END AS epochs_run,
		CASE WHEN c THEN CASE WHEN abs(t.seconds_to_best) <= '1.7976931348623157e308'::float8 THEN t.seconds_to_best END END AS seconds_to_best,
		CASE WHEN c THEN CASE WHEN abs(t.train_seconds) <= '1.7976931348623157e308'::float8 THEN t.train_seconds END END AS train_seconds,
		CASE WHEN c AND t.epochs_run > 0 THEN CASE WHEN abs(t.train_seconds / t.epochs_run) <= '1.7976931348623157e308'::float8 THEN t.train_seconds / t.epochs_run END END AS seconds_per_epoch,
		c AND jsonb_typeof(t.final_metrics::jsonb -> 'test_epoch') IS NULL AND t.test_accuracy IS NOT NULL AS replay,
		row_number() OVER (PARTITION BY t.config_hash ORDER BY t.ordinal, t.id) AS k,
		row_number() OVER (PARTITION BY t.config_hash, t.param_count IS NULL ORDER BY t.ordinal, t.id) AS kp
	FROM (
		SELECT *, state = 'completed' AS c FROM trials
		WHERE sweep_id = @sweepId AND (@hashes::text IS NULL OR config_hash IN (SELECT jsonb_array_elements_text(@hashes::jsonb)))
	) t
),
g AS (
	SELECT
		config_hash, count(*)::integer AS trials, count(*) FILTER (WHERE state = 'completed')::integer AS completed, count(*) FILTER (WHERE replay)::integer AS replay,
		count(*) FILTER (WHERE state = 'pending')::integer AS pending,
		count(*) FILTER (WHERE state = 'running')::integer AS running,
		count(*) FILTER (WHERE state = 'failed')::integer AS failed,
		count(*) FILTER (WHERE state = 'diverged')::integer AS diverged,
		count(*) FILTER (WHERE state = 'pruned')::integer AS pruned,
		count(*) FILTER (WHERE state = 'interrupted')::integer AS interrupted,
		count(*) FILTER (WHERE state = 'timeout')::integer AS timeout,
		-- The first trial's config, read by id at the end: the configs' text is not carried through the grouping.
		max(CASE WHEN k = 1 THEN id END) AS first_id,
		max(CASE WHEN kp = 1 THEN param_count END) AS param_count,
		count(value)::integer AS value_n, avg(value) AS value_mean,
		count(test_accuracy)::integer AS test_accuracy_n, avg(test_accuracy) AS test_accuracy_mean,
		count(tested_epoch)::integer AS tested_epoch_n, avg(tested_epoch) AS tested_epoch_mean,
		count(tested_value)::integer AS tested_value_n, avg(tested_value) AS tested_value_mean,
		count(best_epoch)::integer AS best_epoch_n, avg(best_epoch) AS best_epoch_mean,
		count(converged_epoch)::integer AS converged_epoch_n, avg(converged_epoch) AS converged_epoch_mean,
		count(epochs_run)::integer AS epochs_run_n, avg(epochs_run) AS epochs_run_mean,
		count(seconds_to_best)::integer AS seconds_to_best_n, avg(seconds_to_best) AS seconds_to_best_mean,
		count(train_seconds)::integer AS train_seconds_n, avg(train_seconds) AS train_seconds_mean,
		count(seconds_per_epoch)::integer AS seconds_per_epoch_n, avg(seconds_per_epoch) AS seconds_per_epoch_mean
	FROM x GROUP BY config_hash
),
b AS (
	SELECT config_hash, json_agg(backend ORDER BY first)::text AS backends
	FROM (SELECT config_hash, backend, min(k) AS first FROM x WHERE backend IS NOT NULL GROUP BY config_hash, backend) f
	GROUP BY config_hash
),
s AS (
	SELECT
		g.config_hash,
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
	GROUP BY g.config_hash
)
SELECT
	g.config_hash, (SELECT t.config FROM trials t WHERE t.id = g.first_id) AS config, g.trials, g.completed, g.replay, g.pending, g.running, g.failed, g.diverged, g.pruned, g.interrupted, g.timeout, g.param_count, b.backends,
	g.value_mean, CASE g.value_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.value_ss / (g.value_n - 1)) END AS value_std, g.value_n,
	g.test_accuracy_mean, CASE g.test_accuracy_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.test_accuracy_ss / (g.test_accuracy_n - 1)) END AS test_accuracy_std, g.test_accuracy_n,
	g.tested_epoch_mean, CASE g.tested_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.tested_epoch_ss / (g.tested_epoch_n - 1)) END AS tested_epoch_std, g.tested_epoch_n,
	g.tested_value_mean, CASE g.tested_value_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.tested_value_ss / (g.tested_value_n - 1)) END AS tested_value_std, g.tested_value_n,
	g.best_epoch_mean, CASE g.best_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.best_epoch_ss / (g.best_epoch_n - 1)) END AS best_epoch_std, g.best_epoch_n,
	g.converged_epoch_mean, CASE g.converged_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.converged_epoch_ss / (g.converged_epoch_n - 1)) END AS converged_epoch_std, g.converged_epoch_n,
	g.epochs_run_mean, CASE g.epochs_run_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.epochs_run_ss / (g.epochs_run_n - 1)) END AS epochs_run_std, g.epochs_run_n,
	g.seconds_to_best_mean, CASE g.seconds_to_best_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.seconds_to_best_ss / (g.seconds_to_best_n - 1)) END AS seconds_to_best_std, g.seconds_to_best_n,
	g.train_seconds_mean, CASE g.train_seconds_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.train_seconds_ss / (g.train_seconds_n - 1)) END AS train_seconds_std, g.train_seconds_n,
	g.seconds_per_epoch_mean, CASE g.seconds_per_epoch_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(s.seconds_per_epoch_ss / (g.seconds_per_epoch_n - 1)) END AS seconds_per_epoch_std, g.seconds_per_epoch_n
FROM g JOIN s ON s.config_hash = g.config_hash LEFT JOIN b ON b.config_hash = g.config_hash
