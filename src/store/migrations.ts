/**
 * Each dialect's migrations are the files sql/<dialect>/NNN-what.sql: file N brings the schema from version N-1
 * to N. They are read from the package at run time; the build copies every .sql file under src/ beside the
 * compiled code (scripts/copy-assets.mjs).
 */
import {readdirSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {StoreError} from '../errors.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The dialect's migrations in order.
 * @throws StoreError when the folder is missing or its files are not numbered 001, 002, ... without a gap.
 */
export function loadMigrations(dialect: Dialect): string[] {
	const folder = new URL(`sql/${dialect}/`, import.meta.url);
	try {
		const names = readdirSync(folder).filter(name => name.endsWith('.sql')).sort();
		for (const [index, name] of names.entries()) {
			const expected = `${String(index + 1).padStart(3, '0')}-`;
			if (!name.startsWith(expected)) {
				throw new Error(`${name} should start with ${expected}: migrations are numbered from 001 without a gap`);
			}
		}

		return names.map(name => readFileSync(new URL(name, folder), 'utf8'));
	} catch (error) {
		throw new StoreError(
			`${fileURLToPath(folder)}: cannot read sweeplab's ${dialect} migrations (${(error as Error).message}); reinstall sweeplab, or in a checkout run npm run build (it copies src/**/*.sql into dist)`,
			{cause: error},
		);
	}
}
