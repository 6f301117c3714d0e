-- v8: the leaderboard is ranked and paged by the database (queries/config-ranking.sql, queries/config-rows.sql).
-- Its state filter asks, per config, whether any of its trials is in a state: this index answers that without
-- reading the trials. (PostgreSQL's 008 also adds the function its ranking walks ties with.)
CREATE INDEX trials_config_state ON trials (sweep_id, config_hash, state);
