-- v8: the leaderboard is ranked and paged by the database (queries/config-ranking.sql, queries/config-rows.sql).
-- Its state filter asks, per config, whether any of its trials is in a state: this index answers that without
-- reading the trials.
CREATE INDEX trials_config_state ON trials (sweep_id, config_hash, state);

-- Ties, as src/report/ranking.ts rankRows walks them: down the configs in rank order (means and stds, best first,
-- finite), a config whose mean ± std overlaps that of the first config of the current rank group joins the group;
-- any other opens a group at its own position. Returns each config's group leader's position (1-based), i.e. its
-- rank. Each leader depends on the one before, which no window function expresses; SQLite's ranking walks the
-- same rule with a recursive query, which PostgreSQL would run in quadratic time.
CREATE FUNCTION sweeplab_tie_leaders(means double precision[], stds double precision[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n integer := coalesce(array_length(means, 1), 0);
	leaders integer[] := array_fill(0, ARRAY[n]);
	leader integer := 0;
BEGIN
	FOR i IN 1 .. n LOOP
		IF leader > 0 AND abs(means[leader] - means[i]) <= stds[leader] + stds[i] THEN
			leaders[i] := leader;
		ELSE
			leader := i;
			leaders[i] := i;
		END IF;
	END LOOP;
	RETURN leaders;
END
$$;
