/**
 * Connecting to PostgreSQL: the URLs that select it (and their passwords kept out of every message), which
 * failures are worth waiting out (the database dropped or is restarting) and which are mistakes to report at
 * once in one line (wrong password, missing database, unknown host, nothing listening).
 */
import {StoreError} from '../errors.js';

/** `postgres://` and `postgresql://` select this store; anything else is a SQLite path. */
export function isPostgresUrl(db: string): boolean {
	return /^postgres(?:ql)?:\/\//i.test(db);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) {
			parsed.password = '***';
		}

		return parsed.toString();
	} catch {
		return url.replace(/:[^:@/]*@/, ':***@');
	}
}

export const pgCode = (error: unknown): string => String((error as {code?: unknown} | undefined)?.code ?? '');

/**
 * Whether the database may come back: it is down, restarting, unreachable, or dropped the connection.
 * A DNS name that does not resolve or a refused password is a mistake to report at once, not to wait out.
 */
export function isConnectionError(error: unknown): boolean {
	const code = pgCode(error);
	if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN'].includes(code)) {
		return true;
	}

	// 08: connection exception; 57P01-3: the server shut down or is starting; 53300: too many connections.
	if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) {
		return true;
	}

	const message = error instanceof Error ? error.message : '';
	return /Connection terminated|connection timeout|not queryable|Client was closed|terminating connection/i.test(message);
}

/** Retry once more when two transactions deadlocked or failed to serialise; nothing was written. */
export const isConflict = (error: unknown): boolean => ['40001', '40P01'].includes(pgCode(error));

export const oneLine = (text: string): string => text.replaceAll(/\s*\n\s*/g, ' ');

/** The message of an error (the first of an AggregateError, as a failed connect to several addresses throws). */
export function describeError(error: unknown): string {
	if (error instanceof AggregateError && error.errors.length > 0) {
		return describeError(error.errors[0]);
	}

	return error instanceof Error ? error.message || pgCode(error) || error.name : String(error);
}

/** A first connection that failed: which of the usual mistakes it is, in one line (the URL has no password). */
export function firstConnectionError(url: string, error: unknown): StoreError {
	const code = pgCode(error);
	const message = oneLine(describeError(error));
	let where = 'the server';
	try {
		const {hostname, port} = new URL(url);
		where = `${hostname || 'localhost'}:${port || '5432'}`;
	} catch {}

	const why = code === 'ECONNREFUSED'
		? `connection refused by ${where}: is PostgreSQL running there and listening on that port?`
		: code === 'EAI_AGAIN'
			? `cannot resolve the database host (${message}); check the host name in --db and the DNS`
			: code === 'ETIMEDOUT' || /timeout/i.test(message)
				? `no answer from ${where} within 10 s (${message}); check the host, the port and any firewall`
				: code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
					? `${where} is unreachable (${message}); check the host in --db and the network`
					: `cannot connect to ${where} (${message})`;
	return new StoreError(`${url}: ${why}`, {cause: error});
}

/** Any other failure of `doing`, in one line; wrong credentials and a missing database say what to fix. */
export function storeError(url: string, doing: string, error: unknown): StoreError {
	const code = pgCode(error);
	const message = oneLine(describeError(error));
	if (code === '28P01' || code === '28000') {
		return new StoreError(`${url}: ${message}; check the user and password in --db`, {cause: error});
	}

	if (code === '3D000') {
		return new StoreError(`${url}: ${message}; create it first (createdb) or fix the name in --db`, {cause: error});
	}

	if (code === 'ENOTFOUND') {
		return new StoreError(`${url}: cannot resolve the database host (${message}); check the host name in --db`, {cause: error});
	}

	if (code === '25006') {
		return new StoreError(`${url}: ${doing}: the database is read-only (${message})`, {cause: error});
	}

	return new StoreError(`${url}: ${doing}: ${message}`, {cause: error});
}
