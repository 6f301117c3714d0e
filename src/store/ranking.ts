/**
 * The statements behind Store.rankConfigs, shared by both stores: the ranking itself is in
 * sql/<dialect>/queries/config-ranking.sql (order, ranks, ties, the Pareto front, the fastest config within the
 * margin) and config-rows.sql (each config's spreads); this wraps them with the selection asked for (every config,
 * a few, the charts' sample, a page filtered and sorted) and decodes the rows. Statements use @name placeholders;
 * toPositional turns them into PostgreSQL's $n.
 */
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {StoreError} from '../errors.js';
import {TRIAL_STATES, type TrialParams, type TrialState} from '../types.js';
import type {Dialect} from './migrations.js';
import {RANK_SORTS, type RankedConfig, type RankedPage, type RankQuery, type Spread, type SweepActivity} from './store.js';

export interface NamedSql {
	sql: string;
	params: Record<string, unknown>;
}

const cache = new Map<string, string>();

/** A query file of sql/<dialect>/queries/, read once. */
function queryText(dialect: Dialect, name: string): string {
	const key = `${dialect}/${name}`;
	let text = cache.get(key);
	if (text === undefined) {
		const file = new URL(`sql/${dialect}/queries/${name}.sql`, import.meta.url);
		try {
			text = readFileSync(file, 'utf8');
		} catch (error) {
			throw new StoreError(`${fileURLToPath(file)}: cannot read sweeplab's ${dialect} query (${(error as Error).message}); reinstall sweeplab, or in a checkout run npm run build`, {cause: error});
		}

		cache.set(key, text);
	}

	return text;
}

/** The spreads config-rows.sql reads, by ConfigRow field and column prefix. */
const SPREADS = [
	['value', 'value'],
	['testAccuracy', 'test_accuracy'],
	['testedEpoch', 'tested_epoch'],
	['testedValue', 'tested_value'],
	['bestEpoch', 'best_epoch'],
	['convergedEpoch', 'converged_epoch'],
	['epochsRun', 'epochs_run'],
	['secondsToBest', 'seconds_to_best'],
	['trainSeconds', 'train_seconds'],
	['secondsPerEpoch', 'seconds_per_epoch'],
] as const;

/** Sort columns that config-ranking.sql has; the others need config-rows.sql joined for every config. */
const RANKING_SORTS: Record<string, string> = {rank: 'r.rank', value: 'r.value_mean', trainSeconds: 'r.train_seconds_mean'};
const ROW_SORTS: Record<string, string> = {
	testAccuracy: 'c.test_accuracy_mean',
	paramCount: 'c.param_count',
	epochsRun: 'c.epochs_run_mean',
	convergedEpoch: 'c.converged_epoch_mean',
	bestEpoch: 'c.best_epoch_mean',
	secondsToBest: 'c.seconds_to_best_mean',
	secondsPerEpoch: 'c.seconds_per_epoch_mean',
	trials: 'c.trials',
};

/** A swept value of the config `alias` holds, as JSON text (SQLite: the path of a bound key). */
const jsonValue = (dialect: Dialect, alias: string, key: string): string =>
	(dialect === 'sqlite' ? `(${alias}.config -> ('$."' || @${key} || '"'))` : `(${alias}.config::jsonb -> @${key})::text`);

/**
 * What to sort by a swept value, as report/chart-common.ts compareValues orders values: numbers by value, arrays
 * (layer widths) by length then element by element. PostgreSQL's jsonb order is that; SQLite's is spelled out for
 * arrays of up to four elements.
 */
function sortValue(dialect: Dialect, key: string): string[] {
	if (dialect === 'postgres') {
		return [`(c.config::jsonb -> @${key})`];
	}

	const path = (suffix = '') => `('$."' || @${key} || '"${suffix}')`;
	return [`json_array_length(c.config, ${path()})`, ...[0, 1, 2, 3].map(index => `(c.config ->> ${path(`[${index}]`)})`), `(c.config ->> ${path()})`];
}

/**
 * The statement that selects the ranked configs (and their full rows when `joined`); when not joined, the caller
 * reads the selected configs' rows with rowsSql.
 */
export function rankingSql(dialect: Dialect, sweepId: number, query: RankQuery): NamedSql & {joined: boolean} {
	const ranking = queryText(dialect, 'config-ranking');
	const params: Record<string, unknown> = {sweepId, goal: query.metric.goal, margin: query.margin, relative: query.relativeMargin};
	const rows = `(${queryText(dialect, 'config-rows')}) c ON c.config_hash = r.config_hash`;
	const {select} = query;
	const totals = `count(*) OVER () AS total, count(r.rank) OVER () AS ranked_total, ${dialect === 'sqlite' ? 'sum(r.usable)' : 'count(*) FILTER (WHERE r.usable)'} OVER () AS usable_total`;
	switch (select.kind) {
		case 'all': {
			return {sql: `SELECT r.*, c.*, ${totals} FROM (${ranking}) r JOIN ${rows} ORDER BY r.pos`, params: {...params, hashes: null}, joined: true};
		}

		case 'configs': {
			return {
				sql: `SELECT * FROM (SELECT r.*, ${totals} FROM (${ranking}) r) r WHERE r.config_hash IN (${dialect === 'sqlite' ? 'SELECT value FROM json_each(@hashes)' : 'SELECT jsonb_array_elements_text(@hashes::jsonb)'}) ORDER BY r.pos`,
				params: {...params, hashes: JSON.stringify(select.hashes)},
				joined: false,
			};
		}

		case 'chart': {
			return {
				sql: `SELECT * FROM (SELECT r.*, ${totals} FROM (${ranking}) r) r
					WHERE r.pos <= @top OR r.pareto OR r.fastest OR r.fastest_tie OR (r.pos - 1) % ((r.total + @sample - 1) / @sample) = 0
					ORDER BY r.pos`,
				params: {...params, top: select.top, sample: Math.max(1, select.sample)},
				joined: false,
			};
		}

		case 'page': {
			const where: string[] = [];
			const trialOf = `SELECT 1 FROM trials t WHERE t.sweep_id = @sweepId AND t.config_hash = r.config_hash`;
			if (select.state) {
				where.push(`EXISTS (${trialOf} AND t.state = @state)`);
				params.state = select.state;
			}

			for (const [index, [key, values]] of Object.entries(select.params).entries()) {
				where.push(`EXISTS (${trialOf} AND ${jsonValue(dialect, 't', `key${index}`)} IN (${dialect === 'sqlite' ? `SELECT value FROM json_each(@values${index})` : `SELECT jsonb_array_elements_text(@values${index}::jsonb)`}))`);
				params[`key${index}`] = key;
				params[`values${index}`] = JSON.stringify(values);
			}

			let order: string[];
			let joined = false;
			if (select.sort.startsWith('param:')) {
				order = sortValue(dialect, 'sortKey');
				params.sortKey = select.sort.slice('param:'.length);
				joined = true;
			} else if (RANKING_SORTS[select.sort]) {
				order = [RANKING_SORTS[select.sort]];
			} else if (ROW_SORTS[select.sort]) {
				order = [ROW_SORTS[select.sort]];
				joined = true;
			} else {
				throw new StoreError(`sort=${select.sort}: expected one of ${RANK_SORTS.join(', ')} or param:<swept key>`);
			}

			const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
			return {
				sql: `SELECT r.*, ${joined ? 'c.*, ' : ''}${totals}
					FROM (${ranking}) r ${joined ? `JOIN ${rows}` : ''} ${filter}
					ORDER BY ${order.at(-1)!} IS NULL, ${order.map(value => `${value} ${select.descending ? 'DESC' : 'ASC'}`).join(', ')}, r.pos
					LIMIT @limit OFFSET @offset`,
				params: {...params, ...(joined && {hashes: null}), limit: select.limit, offset: select.offset},
				joined,
			};
		}
	}
}

/**
 * Each ranked config's swept values (`keys` of its first trial's config, as JSON text: the rest of the config is
 * never read into memory) and mean value, best first (Store.configMeans).
 */
export function configMeansSql(dialect: Dialect, sweepId: number, query: Pick<RankQuery, 'metric' | 'margin' | 'relativeMargin'>, keys: readonly string[]): NamedSql {
	const first = `(SELECT t.id FROM trials t WHERE t.sweep_id = @sweepId AND t.config_hash = r.config_hash ORDER BY t.ordinal, t.id LIMIT 1)`;
	return {
		sql: `SELECT r.value_mean${keys.map((_, index) => `, ${jsonValue(dialect, 'f', `key${index}`)} AS v${index}`).join('')}
			FROM (${queryText(dialect, 'config-ranking')}) r JOIN trials f ON f.id = ${first} WHERE r.rank IS NOT NULL ORDER BY r.pos`,
		params: {sweepId, goal: query.metric.goal, margin: query.margin, relative: query.relativeMargin, ...Object.fromEntries(keys.map((key, index) => [`key${index}`, key]))},
	};
}

/** Rows of configMeansSql: each config's swept values by key (a key the config lacks is left out). */
export function decodeMeans(rows: readonly Raw[], keys: readonly string[]): Array<{config: TrialParams; value: number}> {
	return rows.map(row => ({
		config: Object.fromEntries(keys.flatMap((key, index) => (row[`v${index}`] === null || row[`v${index}`] === undefined ? [] : [[key, JSON.parse(String(row[`v${index}`])) as unknown]]))) as TrialParams,
		value: Number(row.value_mean),
	}));
}

/**
 * A page past the last row has no row to carry the totals: the same selection's first row, to count with (the caller
 * keeps no config of it).
 */
export function totalsProbe(query: RankQuery): RankQuery | undefined {
	return query.select.kind === 'page' && query.select.offset > 0 ? {...query, select: {...query.select, offset: 0, limit: 1}} : undefined;
}

/** config-rows.sql for these configs. */
export function rowsSql(dialect: Dialect, sweepId: number, hashes: readonly string[]): NamedSql {
	return {sql: queryText(dialect, 'config-rows'), params: {sweepId, hashes: JSON.stringify(hashes)}};
}

/** @name -> $n (each name one number, in order of first use), for PostgreSQL. */
export function toPositional(statement: NamedSql): {text: string; values: unknown[]} {
	const names: string[] = [];
	const text = statement.sql.replaceAll(/@([A-Za-z]\w*)/g, (_, name: string) => {
		if (!(name in statement.params)) {
			throw new StoreError(`internal: the statement names @${name} and it was given no value`);
		}

		let index = names.indexOf(name);
		if (index < 0) {
			index = names.push(name) - 1;
		}

		return `$${index + 1}`;
	});
	return {text, values: names.map(name => statement.params[name])};
}

/** The params a statement names, booleans as SQLite's 0 and 1 (better-sqlite3 refuses unused and boolean values). */
export function sqliteParams(statement: NamedSql): Record<string, unknown> {
	const used = new Set([...statement.sql.matchAll(/@([A-Za-z]\w*)/g)].map(match => match[1]));
	return Object.fromEntries(Object.entries(statement.params).filter(([name]) => used.has(name)).map(([name, value]) => [name, typeof value === 'boolean' ? Number(value) : value]));
}

type Raw = Record<string, unknown>;

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const spreadOf = (row: Raw, prefix: string): Spread => ({mean: num(row[`${prefix}_mean`]) ?? Number.NaN, std: num(row[`${prefix}_std`]) ?? Number.NaN, n: num(row[`${prefix}_n`]) ?? 0});
const flag = (value: unknown): boolean => value === true || value === 1;

/** The ranking's rows with their config rows (from the same row when joined, else from `rows` by hash). */
export function decodeRanking(ranked: Iterable<Raw>, rows?: ReadonlyMap<string, Raw>): RankedPage {
	// An iterable: SQLite hands the rows of a whole sweep over one at a time, each decoded and let go.
	let first: Raw | undefined;
	const configs = Array.from(ranked, (raw): RankedConfig => {
		first ??= raw;
		const full = rows?.get(String(raw.config_hash)) ?? raw;
		const states: Partial<Record<TrialState, number>> = {};
		for (const state of TRIAL_STATES) {
			const count = state === 'completed' ? num(full.completed) : num(full[state]);
			if (count) {
				states[state] = count;
			}
		}

		const spreads = Object.fromEntries(SPREADS.map(([field, prefix]) => [field, spreadOf(full, prefix)])) as Record<(typeof SPREADS)[number][0], Spread>;
		return {
			row: {
				configHash: String(raw.config_hash),
				config: JSON.parse(String(full.config)) as TrialParams,
				trials: num(full.trials) ?? 0,
				completed: num(full.completed) ?? 0,
				states,
				...spreads,
				paramCount: num(full.param_count),
				backends: full.backends === null || full.backends === undefined ? [] : (JSON.parse(String(full.backends)) as string[]),
				rank: num(raw.rank),
				tied: flag(raw.tied),
				pareto: flag(raw.pareto),
			},
			position: num(raw.pos)!,
			usable: flag(raw.usable),
			withinMargin: flag(raw.within_margin),
			fastest: flag(raw.fastest),
			fastestTie: flag(raw.fastest_tie),
			replayed: num(full.replay) ?? 0,
		};
	});
	return {...totalsOf(first), configs};
}

/** The totals a selection's rows carry (totalsProbe's row), or zeros without a row. */
export const totalsOf = (row: Raw | undefined): Omit<RankedPage, 'configs'> => ({total: num(row?.total) ?? 0, ranked: num(row?.ranked_total) ?? 0, usable: num(row?.usable_total) ?? 0});

/** The distinct values of a swept key, as JSON text, for Store.configValues. */
export function configValuesSql(dialect: Dialect, sweepId: number, key: string, limit: number): NamedSql {
	return {
		sql: `SELECT DISTINCT ${jsonValue(dialect, 't', 'key')} AS value FROM trials t WHERE t.sweep_id = @sweepId AND ${jsonValue(dialect, 't', 'key')} IS NOT NULL LIMIT @limit`,
		params: {sweepId, key, limit},
	};
}

/** Sums for Store.sweepActivity. */
export function sweepActivitySql(dialect: Dialect, sweepId: number, baseEpochs: number | null): NamedSql {
	const planned = dialect === 'sqlite'
		? `coalesce(CASE WHEN json_type(config, '$.epochs') IN ('integer', 'real') THEN json_extract(config, '$.epochs') END, @baseEpochs)`
		: `coalesce(CASE WHEN jsonb_typeof(config::jsonb -> 'epochs') = 'number' THEN (config::jsonb ->> 'epochs')::float8 END, @baseEpochs::float8)`;
	const unfinished = `state IN ('pending', 'running', 'interrupted')`;
	return {
		sql: `SELECT
			coalesce(sum(CASE WHEN NOT ${unfinished} THEN step_seconds END), 0) AS step_seconds,
			coalesce(sum(CASE WHEN NOT ${unfinished} THEN timed_steps END), 0) AS timed_steps,
			min(started_at) AS first_started_at,
			max(CASE WHEN NOT ${unfinished} THEN finished_at END) AS last_finished_at,
			count(CASE WHEN NOT ${unfinished} AND finished_at IS NOT NULL THEN 1 END) AS ended,
			coalesce(sum(CASE WHEN ${unfinished} THEN ${dialect === 'sqlite' ? 'max' : 'greatest'}(0, ${planned} - epochs_run) END), 0) AS remaining_epochs,
			count(CASE WHEN epochs_run > 0 THEN 1 END) AS with_steps
		FROM trials WHERE sweep_id = @sweepId`,
		params: {sweepId, baseEpochs},
	};
}

export function decodeActivity(row: Raw): SweepActivity {
	return {
		stepSeconds: num(row.step_seconds) ?? 0,
		timedSteps: num(row.timed_steps) ?? 0,
		firstStartedAt: (row.first_started_at as string | null) ?? null,
		lastFinishedAt: (row.last_finished_at as string | null) ?? null,
		ended: num(row.ended) ?? 0,
		remainingEpochs: num(row.remaining_epochs) ?? 0,
		withSteps: num(row.with_steps) ?? 0,
	};
}
