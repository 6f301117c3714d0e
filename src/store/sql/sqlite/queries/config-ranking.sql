-- A sweep's configs ranked, one row each, the rule of src/report/ranking.ts (test/store/ranking.test.ts checks the
-- two agree): best first by the mean best value of the sweep's metric over the completed trials (configs without
-- one last, equal means by config hash), ranks shared by ties, the Pareto front of that value against the mean
-- training seconds, and "the fastest config within the margin of the best" with the configs its time cannot be
-- told from. Read from the step summaries kept on each finished trial (migration 007), no step; config-rows.sql
-- has the rest of a row. Parameters: @sweepId; @goal, 'maximize' or 'minimize' (the sweep's metric's); @margin and
-- @relative (1: the margin is a fraction of the best value; 0: in the metric's own units).
-- Finite here: a REAL or INTEGER within the doubles (SQLite keeps NaN as the TEXT 'NaN').
WITH
x AS (
	SELECT
		config_hash,
		CASE WHEN state = 'completed' AND typeof(best_value) IN ('real', 'integer') AND abs(best_value) <= 1.7976931348623157e308 THEN best_value END AS value,
		CASE WHEN state = 'completed' AND typeof(train_seconds) IN ('real', 'integer') AND abs(train_seconds) <= 1.7976931348623157e308 THEN train_seconds END AS train_seconds
	FROM trials WHERE sweep_id = @sweepId
),
g AS (
	SELECT config_hash, count(value) AS value_n, avg(value) AS value_mean, count(train_seconds) AS train_seconds_n, avg(train_seconds) AS train_seconds_mean,
		sum(value_d * value_d) AS value_ss, sum(train_d * train_d) AS train_ss
	FROM (
		SELECT config_hash, value, train_seconds,
			value - avg(value) OVER (PARTITION BY config_hash) AS value_d,
			train_seconds - avg(train_seconds) OVER (PARTITION BY config_hash) AS train_d
		FROM x
	)
	GROUP BY config_hash
),
-- Best first; configs without a value last; equal values by config hash.
ordered AS MATERIALIZED (
	SELECT s.*, row_number() OVER (ORDER BY s.score IS NULL, s.score DESC, s.config_hash) AS pos
	FROM (
		SELECT g.config_hash, g.value_n, g.value_mean, g.train_seconds_n, g.train_seconds_mean,
			CASE WHEN g.value_n > 0 THEN iif(@goal = 'minimize', -g.value_mean, g.value_mean) END AS score,
			CASE g.value_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(g.value_ss / (g.value_n - 1)) END AS value_std,
			CASE g.train_seconds_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(g.train_ss / (g.train_seconds_n - 1)) END AS train_seconds_std
		FROM g
	) s
),
-- Ties (report/ranking.ts rankRows): walking down the order, a config whose mean ± std overlaps that of the first
-- config of the current rank group joins the group; any other opens a group ranked by its position. One row at a
-- time, as that rule needs: each leader depends on the one before.
walk(pos, leader, leader_mean, leader_std) AS (
	SELECT 0, NULL, NULL, NULL
	UNION ALL
	SELECT o.pos,
		iif(w.leader IS NOT NULL AND abs(w.leader_mean - o.value_mean) <= w.leader_std + o.value_std, w.leader, o.pos),
		iif(w.leader IS NOT NULL AND abs(w.leader_mean - o.value_mean) <= w.leader_std + o.value_std, w.leader_mean, o.value_mean),
		iif(w.leader IS NOT NULL AND abs(w.leader_mean - o.value_mean) <= w.leader_std + o.value_std, w.leader_std, o.value_std)
	FROM walk w JOIN ordered o ON o.pos = w.pos + 1 AND o.score IS NOT NULL
),
-- The Pareto front of (score up, mean training seconds down), report/pareto.ts paretoFront: a config is on it when
-- it is the best of those as fast as it and better than every faster one; equal points share the front.
times AS (
	SELECT train_seconds_mean, group_best, max(group_best) OVER (ORDER BY train_seconds_mean ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS faster_best
	FROM (SELECT train_seconds_mean, max(score) AS group_best FROM ordered WHERE score IS NOT NULL AND train_seconds_n > 0 GROUP BY train_seconds_mean)
),
usable AS MATERIALIZED (
	SELECT o.pos, o.score, t.group_best, t.faster_best
	FROM ordered o JOIN times t ON t.train_seconds_mean = o.train_seconds_mean
	WHERE o.score IS NOT NULL AND o.train_seconds_n > 0
),
groups AS MATERIALIZED (SELECT pos, leader, count(*) OVER (PARTITION BY leader) AS size FROM walk WHERE pos > 0),
best AS (SELECT score, iif(@relative, abs(value_mean) * @margin, @margin) AS within FROM ordered WHERE pos = 1 AND score IS NOT NULL),
-- "The fastest config within the margin of the best" (report/ranking.ts tradeoff) and those whose time it cannot be told from.
candidates AS MATERIALIZED (
	SELECT o.pos, o.train_seconds_n, o.train_seconds_mean, o.train_seconds_std,
		row_number() OVER (ORDER BY o.train_seconds_n = 0, o.train_seconds_mean, o.pos) = 1 AND o.train_seconds_n > 0 AS fastest
	FROM ordered o, best b WHERE o.score IS NOT NULL AND o.score >= b.score - b.within
),
fastest AS MATERIALIZED (SELECT * FROM candidates WHERE fastest)
SELECT
	o.config_hash, o.pos, o.value_mean, o.train_seconds_mean,
	CASE WHEN o.score IS NOT NULL THEN w.leader END AS rank,
	coalesce(w.size > 1, 0) AS tied,
	coalesce(u.score = u.group_best AND (u.faster_best IS NULL OR u.score > u.faster_best), 0) AS pareto,
	u.pos IS NOT NULL AS usable,
	c.pos IS NOT NULL AS within_margin,
	coalesce(c.fastest, 0) AS fastest,
	coalesce(NOT c.fastest AND c.train_seconds_n >= 2 AND f.train_seconds_n >= 2 AND abs(c.train_seconds_mean - f.train_seconds_mean) <= c.train_seconds_std + f.train_seconds_std, 0) AS fastest_tie
FROM ordered o
LEFT JOIN groups w ON w.pos = o.pos
LEFT JOIN usable u ON u.pos = o.pos
LEFT JOIN candidates c ON c.pos = o.pos
LEFT JOIN fastest f ON 1
