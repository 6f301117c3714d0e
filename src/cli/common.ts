import {mkdirSync} from 'node:fs';
import {dirname} from 'node:path';
import type {Argv} from 'yargs';
import {isPostgresUrl, openPostgresStore, redactUrl} from '../store/postgres.js';
import {openSqliteStore} from '../store/sqlite.js';
import type {Store} from '../store/store.js';

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
