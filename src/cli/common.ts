import {mkdirSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import type {Argv} from 'yargs';
import {isPostgresUrl, redactUrl} from '../store/pg-connection.js';
import {openPostgresStore} from '../store/postgres.js';
import {openSqliteStore} from '../store/sqlite.js';
import type {Store} from '../store/store.js';
import {UsageError} from '../errors.js';

/** Options every command takes. */
export interface GlobalArgs {
	db: string;
	verbose: boolean;
}

export const DEFAULT_DB = 'db/sweeplab.db';

export function globalOptions<T>(yargs: Argv<T>): Argv<T & GlobalArgs> {
	return yargs
		.option('db', {
			type: 'string',
			default: process.env.SWEEPLAB_DB ?? DEFAULT_DB,
			defaultDescription: `$SWEEPLAB_DB or ${DEFAULT_DB}`,
			describe: 'SQLite database file, or postgres://user:pass@host:5432/dbname, holding sweeps, trials and epochs',
		})
		.option('verbose', {type: 'boolean', default: false, describe: 'Print stack traces of errors'}) as Argv<T & GlobalArgs>;
}

/** --trials-dir, as run and worker write program trials' folders to it and serve reads their logs from it. */
export const trialsDirOption = (describe: string) => ({
	type: 'string' as const,
	default: process.env.SWEEPLAB_TRIALS_DIR,
	defaultDescription: '$SWEEPLAB_TRIALS_DIR, else trials/ beside a SQLite database, else ./sweeplab-trials',
	describe,
});

/** Where a program sweep's trial folders go: --trials-dir, else trials/ beside a SQLite database, else ./sweeplab-trials. */
export function trialsRoot(args: {trialsDir?: string; db: string}): string {
	return resolve(args.trialsDir ?? (isPostgresUrl(args.db) ? 'sweeplab-trials' : join(dirname(args.db), 'trials')));
}

/**
 * Open the store behind --db: PostgreSQL for a postgres:// or postgresql:// URL (connecting on first use; a lost
 * connection is retried for `reconnectMs`), else a SQLite file, created with its folder unless read-only is asked for.
 */
export function openStore(path: string, options: {readonly?: boolean; reconnectMs?: number} = {}): Store {
	if (isPostgresUrl(path)) {
		// Not read-only even for status: a new shared database gets its schema from whichever command touches it first.
		return openPostgresStore(path, {reconnectMs: options.reconnectMs});
	}

	if (!options.readonly && path !== ':memory:') {
		mkdirSync(dirname(path), {recursive: true});
	}

	return openSqliteStore(path, {readonly: options.readonly});
}

/** What a numeric option accepts. */
export type NumberKind = 'positive integer' | 'integer >= 0' | 'positive number' | 'number >= 0';

const ACCEPTS: Record<NumberKind, (value: number) => boolean> = {
	'positive integer': value => Number.isSafeInteger(value) && value >= 1,
	'integer >= 0': value => Number.isSafeInteger(value) && value >= 0,
	'positive number': value => Number.isFinite(value) && value > 0,
	'number >= 0': value => Number.isFinite(value) && value >= 0,
};

/**
 * A numeric option's yargs settings: read as text and checked here, where yargs itself would turn `--workers abc`
 * into NaN and take 0 or -3 as they are. A bad value is a UsageError (exit 2) quoting what was typed.
 */
export function numberOption(name: string, kind: NumberKind, settings: {describe: string; default?: number; alias?: string; defaultDescription?: string; conflicts?: string[]}) {
	return {
		...settings,
		type: 'string' as const,
		requiresArg: true,
		coerce(value: unknown): number {
			// Given twice, yargs hands over a list: the last one wins, as for other options.
			const text = String(Array.isArray(value) ? value.at(-1) : value).trim();
			const number = typeof value === 'number' ? value : (text === '' ? Number.NaN : Number(text));
			if (!ACCEPTS[kind](number)) {
				throw new UsageError(`--${name} ${text === '' ? '(empty)' : text}: expected ${kind.startsWith('integer') ? 'an' : 'a'} ${kind}`);
			}

			return number;
		},
	};
}

/** --db as messages show it: a PostgreSQL URL without its password. */
export function showDb(db: string): string {
	return isPostgresUrl(db) ? redactUrl(db) : db;
}

/** Where a command writes: the real streams, or buffers in tests. */
export interface Io {
	stdout: NodeJS.WritableStream & {isTTY?: boolean; columns?: number};
	stderr: NodeJS.WritableStream & {isTTY?: boolean; columns?: number};
}

export const processIo: Io = {stdout: process.stdout, stderr: process.stderr};

export function formatSeconds(seconds: number): string {
	if (!Number.isFinite(seconds)) {
		return '-';
	}

	if (seconds < 60) {
		return `${seconds.toFixed(1)} s`;
	}

	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) {
		return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
	}

	return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
