-- v7: what ranking needs from a finished trial's steps, kept on the trial, as sql/sqlite/007-trial-outcomes.sql
-- (read its comment). Finite tests read abs(x) <= max double where SQLite's add typeof(x) = 'real' (NaN is an
-- ordinary value here, above every number, so the bound leaves it out too). sum(x ORDER BY step) adds one value
-- at a time in step order, as SQLite's recursive sums and src/report/leaderboard.ts do.

ALTER TABLE trials ADD COLUMN best_value double precision;
ALTER TABLE trials ADD COLUMN best_step integer;
ALTER TABLE trials ADD COLUMN converged_step integer;
ALTER TABLE trials ADD COLUMN seconds_to_best double precision;
ALTER TABLE trials ADD COLUMN step_seconds double precision;
ALTER TABLE trials ADD COLUMN timed_steps integer;
ALTER TABLE trials ADD COLUMN tested_value double precision;

CREATE VIEW trial_outcome AS
SELECT
	f.trial_id,
	(SELECT m.value FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = f.metric WHERE st.trial_id = f.trial_id AND st.step = f.best_step) AS best_value,
	f.best_step,
	(SELECT min(st.step) FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = 'val_loss'
		WHERE st.trial_id = f.trial_id AND abs(m.value) <= '1.7976931348623157e308'::float8
		AND m.value <= f.min_val_loss + greatest(0.02 * abs(f.min_val_loss), 0.001)) AS converged_step,
	CASE WHEN f.best_step IS NOT NULL THEN coalesce((SELECT sum(st.seconds ORDER BY st.step) FROM steps st
		WHERE st.trial_id = f.trial_id AND st.step <= f.best_step AND abs(st.seconds) <= '1.7976931348623157e308'::float8), 0.0) END AS seconds_to_best,
	coalesce((SELECT sum(st.seconds ORDER BY st.step) FROM steps st
		WHERE st.trial_id = f.trial_id AND abs(st.seconds) <= '1.7976931348623157e308'::float8), 0.0) AS step_seconds,
	(SELECT count(*)::integer FROM steps st
		WHERE st.trial_id = f.trial_id AND abs(st.seconds) <= '1.7976931348623157e308'::float8) AS timed_steps,
	(SELECT m.value FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = f.metric
		WHERE st.trial_id = f.trial_id AND st.step = f.test_epoch AND abs(m.value) <= '1.7976931348623157e308'::float8) AS tested_value
FROM (
	SELECT
		t.id AS trial_id,
		(SELECT st.step FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = sm.metric
			WHERE st.trial_id = t.id AND abs(m.value) <= '1.7976931348623157e308'::float8
			ORDER BY CASE WHEN sm.goal = 'minimize' THEN m.value END ASC, CASE WHEN sm.goal = 'maximize' THEN m.value END DESC, st.step ASC
			LIMIT 1) AS best_step,
		(SELECT min(m.value) FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = 'val_loss'
			WHERE st.trial_id = t.id AND abs(m.value) <= '1.7976931348623157e308'::float8) AS min_val_loss,
		CASE WHEN jsonb_typeof(t.final_metrics::jsonb -> 'test_epoch') = 'number' THEN (t.final_metrics::jsonb ->> 'test_epoch')::float8 END AS test_epoch,
		sm.metric
	FROM trials t
	JOIN sweep_metric sm ON sm.sweep_id = t.sweep_id
) f;

-- Trials finished before v7 get theirs now; the guard against modifying finished trials steps aside meanwhile.
ALTER TABLE trials DISABLE TRIGGER trials_finished_immutable;
UPDATE trials SET (best_value, best_step, converged_step, seconds_to_best, step_seconds, timed_steps, tested_value) = (
	SELECT o.best_value, o.best_step, o.converged_step, o.seconds_to_best, o.step_seconds, o.timed_steps, o.tested_value FROM trial_outcome o WHERE o.trial_id = trials.id
)
WHERE state IN ('completed', 'failed', 'diverged', 'pruned', 'timeout');
ALTER TABLE trials ENABLE TRIGGER trials_finished_immutable;
