-- v7: what ranking needs from a finished trial's steps, kept on the trial. A finished trial never changes, so its
-- best value of the sweep's metric (by the goal; the first step on ties), that step, the step it converged at (the
-- rule of src/report/convergence.ts over finite val_loss) and the seconds of its steps up to the best one are
-- worked out once, when it finishes (the stores select from trial_outcome just before setting the finished state),
-- instead of on every read: ranking a sweep then reads its trials, not every step (a dashboard of 10,000 trials x
-- 25 epochs read 250,000 steps and a million metrics to rank). step_seconds and timed_steps sum and count the
-- finite step seconds (a sweep's mean seconds per epoch). tested_value is the metric's finite value at the step its
-- final metric test_epoch names (the weights test_accuracy is of; the stores write final_metrics before reading this
-- view). src/report/leaderboard.ts summariseTrial is the same
-- rule over steps in memory; test/store/contract.ts checks both agree. Trials unfinished have these NULL.

ALTER TABLE trials ADD COLUMN best_value REAL;
ALTER TABLE trials ADD COLUMN best_step INTEGER;
ALTER TABLE trials ADD COLUMN converged_step INTEGER;
ALTER TABLE trials ADD COLUMN seconds_to_best REAL;
ALTER TABLE trials ADD COLUMN step_seconds REAL;
ALTER TABLE trials ADD COLUMN timed_steps INTEGER;
ALTER TABLE trials ADD COLUMN tested_value REAL;

CREATE VIEW trial_outcome AS
WITH finite AS (
	SELECT
		t.id AS trial_id,
		(SELECT st.step FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = sm.metric
			WHERE st.trial_id = t.id AND typeof(m.value) = 'real' AND abs(m.value) <= 1.7976931348623157e308
			ORDER BY CASE WHEN sm.goal = 'minimize' THEN m.value END ASC, CASE WHEN sm.goal = 'maximize' THEN m.value END DESC, st.step ASC
			LIMIT 1) AS best_step,
		(SELECT min(m.value) FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = 'val_loss'
			WHERE st.trial_id = t.id AND typeof(m.value) = 'real' AND abs(m.value) <= 1.7976931348623157e308) AS min_val_loss,
		CASE WHEN json_type(t.final_metrics, '$.test_epoch') IN ('integer', 'real') THEN json_extract(t.final_metrics, '$.test_epoch') END AS test_epoch,
		sm.metric
	FROM trials t
	JOIN sweep_metric sm ON sm.sweep_id = t.sweep_id
)
SELECT
	f.trial_id,
	(SELECT m.value FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = f.metric WHERE st.trial_id = f.trial_id AND st.step = f.best_step) AS best_value,
	f.best_step,
	(SELECT min(st.step) FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = 'val_loss'
		WHERE st.trial_id = f.trial_id AND typeof(m.value) = 'real' AND abs(m.value) <= 1.7976931348623157e308
		AND m.value <= f.min_val_loss + max(0.02 * abs(f.min_val_loss), 0.001)) AS converged_step,
	-- Sums of the finite step seconds in step order, one addition at a time as src/report/leaderboard.ts adds them
	-- (sum() compensates rounding, and PostgreSQL's sum does not: the two stores and the reports agree to the last
	-- digit this way); a best step with no timed step before it took 0 seconds; no best step, no figure.
	CASE WHEN f.best_step IS NOT NULL THEN (WITH RECURSIVE run(step, total) AS (
		SELECT 0, 0.0
		UNION ALL
		SELECT st.step, run.total + CASE WHEN typeof(st.seconds) = 'real' AND abs(st.seconds) <= 1.7976931348623157e308 THEN st.seconds ELSE 0.0 END
		FROM run JOIN steps st ON st.trial_id = f.trial_id
			AND st.step = (SELECT min(x.step) FROM steps x WHERE x.trial_id = f.trial_id AND x.step > run.step AND x.step <= f.best_step)
	) SELECT total FROM run ORDER BY step DESC LIMIT 1) END AS seconds_to_best,
	(WITH RECURSIVE run(step, total) AS (
		SELECT 0, 0.0
		UNION ALL
		SELECT st.step, run.total + CASE WHEN typeof(st.seconds) = 'real' AND abs(st.seconds) <= 1.7976931348623157e308 THEN st.seconds ELSE 0.0 END
		FROM run JOIN steps st ON st.trial_id = f.trial_id
			AND st.step = (SELECT min(x.step) FROM steps x WHERE x.trial_id = f.trial_id AND x.step > run.step)
	) SELECT total FROM run ORDER BY step DESC LIMIT 1) AS step_seconds,
	(SELECT count(*) FROM steps st
		WHERE st.trial_id = f.trial_id AND typeof(st.seconds) = 'real' AND abs(st.seconds) <= 1.7976931348623157e308) AS timed_steps,
	(SELECT m.value FROM steps st JOIN metrics m ON m.step_id = st.id AND m.name = f.metric
		WHERE st.trial_id = f.trial_id AND st.step = f.test_epoch AND typeof(m.value) = 'real' AND abs(m.value) <= 1.7976931348623157e308) AS tested_value
FROM finite f;

-- Trials finished before v7 get theirs now; the guard against modifying finished trials steps aside meanwhile.
DROP TRIGGER trials_finished_immutable;
UPDATE trials SET (best_value, best_step, converged_step, seconds_to_best, step_seconds, timed_steps, tested_value) = (
	SELECT o.best_value, o.best_step, o.converged_step, o.seconds_to_best, o.step_seconds, o.timed_steps, o.tested_value FROM trial_outcome o WHERE o.trial_id = trials.id
)
WHERE state IN ('completed', 'failed', 'diverged', 'pruned', 'timeout');
CREATE TRIGGER trials_finished_immutable BEFORE UPDATE ON trials
WHEN OLD.state IN ('completed', 'failed', 'diverged', 'pruned', 'timeout')
BEGIN SELECT RAISE(ABORT, 'finished trials are never modified'); END;
