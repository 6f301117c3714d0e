-- A sweep's configs ranked, as sql/sqlite/queries/config-ranking.sql (read its comment); ties are walked by
-- sweeplab_tie_leaders (migration 008). Finite here: abs(x) <= the largest double (NaN sorts above every number).
WITH
x AS (
	SELECT
		config_hash,
		CASE WHEN state = 'completed' AND abs(best_value) <= '1.7976931348623157e308'::float8 THEN best_value END AS value,
		CASE WHEN state = 'completed' AND abs(train_seconds) <= '1.7976931348623157e308'::float8 THEN train_seconds END AS train_seconds
	FROM trials WHERE sweep_id = @sweepId
),
g AS (
	SELECT config_hash, count(value)::integer AS value_n, avg(value) AS value_mean, count(train_seconds)::integer AS train_seconds_n, avg(train_seconds) AS train_seconds_mean
	FROM x GROUP BY config_hash
),
ordered AS MATERIALIZED (
	SELECT s.*, row_number() OVER (ORDER BY s.score IS NULL, s.score DESC, s.config_hash COLLATE "C")::integer AS pos
	FROM (
		SELECT g.config_hash, g.value_n, g.value_mean, g.train_seconds_n, g.train_seconds_mean,
			CASE WHEN g.value_n > 0 THEN CASE WHEN @goal = 'minimize' THEN -g.value_mean ELSE g.value_mean END END AS score,
			CASE g.value_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(sum((x.value - g.value_mean) * (x.value - g.value_mean)) / (g.value_n - 1)) END AS value_std,
			CASE g.train_seconds_n WHEN 0 THEN NULL WHEN 1 THEN 0.0 ELSE sqrt(sum((x.train_seconds - g.train_seconds_mean) * (x.train_seconds - g.train_seconds_mean)) / (g.train_seconds_n - 1)) END AS train_seconds_std
		FROM g JOIN x ON x.config_hash = g.config_hash
		GROUP BY g.config_hash, g.value_n, g.value_mean, g.train_seconds_n, g.train_seconds_mean
	) s
),
walk AS (
	SELECT leaders.pos::integer AS pos, leaders.leader
	FROM (SELECT sweeplab_tie_leaders(array_agg(value_mean ORDER BY pos), array_agg(value_std ORDER BY pos)) AS leaders FROM ordered WHERE score IS NOT NULL) a,
		unnest(a.leaders) WITH ORDINALITY AS leaders (leader, pos)
),
groups AS (SELECT pos, leader, count(*) OVER (PARTITION BY leader) AS size FROM walk),
times AS (
	SELECT train_seconds_mean, group_best, max(group_best) OVER (ORDER BY train_seconds_mean ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS faster_best
	FROM (SELECT train_seconds_mean, max(score) AS group_best FROM ordered WHERE score IS NOT NULL AND train_seconds_n > 0 GROUP BY train_seconds_mean) t
),
usable AS (
	SELECT o.pos, o.score, t.group_best, t.faster_best
	FROM ordered o JOIN times t ON t.train_seconds_mean = o.train_seconds_mean
	WHERE o.score IS NOT NULL AND o.train_seconds_n > 0
),
best AS (SELECT score, CASE WHEN @relative THEN abs(value_mean) * @margin ELSE @margin END AS within FROM ordered WHERE pos = 1 AND score IS NOT NULL),
candidates AS (
	SELECT o.pos, o.train_seconds_n, o.train_seconds_mean, o.train_seconds_std,
		row_number() OVER (ORDER BY o.train_seconds_n = 0, o.train_seconds_mean, o.pos) = 1 AND o.train_seconds_n > 0 AS fastest
	FROM ordered o, best b WHERE o.score IS NOT NULL AND o.score >= b.score - b.within
),
fastest AS (SELECT * FROM candidates WHERE fastest)
SELECT
	o.config_hash, o.pos, o.value_mean, o.train_seconds_mean,
	CASE WHEN o.score IS NOT NULL THEN w.leader END AS rank,
	coalesce(w.size > 1, false) AS tied,
	coalesce(u.score = u.group_best AND (u.faster_best IS NULL OR u.score > u.faster_best), false) AS pareto,
	u.pos IS NOT NULL AS usable,
	c.pos IS NOT NULL AS within_margin,
	coalesce(c.fastest, false) AS fastest,
	coalesce(NOT c.fastest AND c.train_seconds_n >= 2 AND f.train_seconds_n >= 2 AND abs(c.train_seconds_mean - f.train_seconds_mean) <= c.train_seconds_std + f.train_seconds_std, false) AS fastest_tie
FROM ordered o
LEFT JOIN groups w ON w.pos = o.pos
LEFT JOIN usable u ON u.pos = o.pos
LEFT JOIN candidates c ON c.pos = o.pos
LEFT JOIN fastest f ON true
