/**
 * The PostgreSQL server the tests run against: $SWEEPLAB_TEST_PG (e.g. postgres://sweeplab:sweeplab@127.0.0.1:5432/sweeplab_test,
 * as .ci/run sets it). Each store or CLI run gets its own schema, dropped when the file's tests end. Without a
 * reachable server a developer's run skips these tests and says why; with CI=true they fail instead.
 */
import {randomBytes} from 'node:crypto';
import type {TestFn} from 'ava';
import pg from 'pg';

export type PostgresAvailability = {url: string} | {reason: string};

export async function findTestPostgres(): Promise<PostgresAvailability> {
	const url = process.env.SWEEPLAB_TEST_PG;
	if (!url) {
		return {reason: 'SWEEPLAB_TEST_PG is not set (e.g. postgres://user:pass@127.0.0.1:5432/dbname; .ci/run starts a server and sets it)'};
	}

	const client = new pg.Client({connectionString: url, connectionTimeoutMillis: 5000});
	try {
		await client.connect();
		await client.query('SELECT 1');
		return {url};
	} catch (error) {
		return {reason: `cannot reach SWEEPLAB_TEST_PG (${(error as Error).message || String((error as {code?: string}).code)})`};
	} finally {
		await client.end().catch(() => undefined);
	}
}

/**
 * True when the tests can run. Otherwise registers one test that fails (CI) or is skipped (a developer's machine)
 * with the reason, and the caller declares nothing else.
 */
export function requirePostgres(test: TestFn, found: PostgresAvailability, what: string): found is {url: string} {
	if ('url' in found) {
		return true;
	}

	if (process.env.CI === 'true') {
		test(`${what}: PostgreSQL is reachable (CI never skips these tests)`, t => {
			t.fail(found.reason);
		});
	} else {
		process.stderr.write(`\nSkipping ${what}: ${found.reason}\n`);
		test.skip(`${what} (skipped: no PostgreSQL server)`, t => {
			t.pass();
		});
	}

	return false;
}

/** Fresh schema names; `dropAll` removes every one handed out. */
export function schemas(url: string) {
	const made: string[] = [];
	return {
		name(prefix = 'sweeplab_test'): string {
			const name = `${prefix}_${randomBytes(6).toString('hex')}`;
			made.push(name);
			return name;
		},
		/** A URL whose connections use `schema` (created here) as their search_path: for the CLI. */
		async urlFor(schema: string): Promise<string> {
			await admin(url, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
			const withSchema = new URL(url);
			withSchema.searchParams.set('options', `-c search_path=${schema}`);
			return withSchema.toString();
		},
		async dropAll(): Promise<void> {
			if (made.length > 0) {
				await admin(url, made.map(name => `DROP SCHEMA IF EXISTS ${name} CASCADE;`).join('\n'));
			}
		},
	};
}

/** One statement (or several) on a connection of its own. */
export async function admin<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
	const client = new pg.Client({connectionString: url});
	await client.connect();
	try {
		return (await client.query<T>(sql, params)).rows;
	} finally {
		await client.end();
	}
}
