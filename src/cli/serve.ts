import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import type {Argv} from 'yargs';
import {StoreError, UsageError} from '../errors.js';
import {generateToken, isLoopback, startDashboard} from '../serve/server.js';
import {isPostgresUrl} from '../store/pg-connection.js';
import {globalOptions, type GlobalArgs, type Io, openStore, showDb, trialsDirOption, trialsRoot} from './common.js';

const SERVE_RECONNECT_MS = 10_000;

export interface ServeArgs extends GlobalArgs {
	port: number;
	host: string;
	open: boolean;
	token?: string;
	trialsDir?: string;
}

export function serveBuilder(yargs: Argv): Argv<ServeArgs> {
	return globalOptions(yargs)
		.option('port', {type: 'number', default: 8080, describe: 'Port to listen on (0: any free port)'})
		.option('host', {type: 'string', default: '127.0.0.1', describe: 'Address to listen on; anything but loopback requires a token'})
		.option('open', {type: 'boolean', default: false, describe: 'Open the dashboard in the default browser'})
		.option('token', {type: 'string', describe: 'Require this token from every request (generated when --host is not loopback and none is given)'})
		.option('trials-dir', trialsDirOption('Where the run put program trials\' folders: their logs are shown from there, and from nowhere else')) as unknown as Argv<ServeArgs>;
}

/**
 * `sweeplab serve`: the live dashboard, read-only, until SIGINT or SIGTERM.
 * @throws StoreError when the database is missing, not a sweeplab database or of a newer schema; ServeError when
 * the port is taken.
 */
export async function serveCommand(args: ServeArgs, io: Io): Promise<void> {
	if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65_535) {
		throw new UsageError(`--port ${args.port}: expected a port number from 0 to 65535`);
	}

	if (args.token !== undefined && args.token.length < 8) {
		throw new UsageError('--token: use at least 8 characters (or leave it out and let sweeplab generate one)');
	}

	if (!isPostgresUrl(args.db) && !existsSync(args.db)) {
		throw new StoreError(`${args.db}: no database there; run a sweep first (sweeplab run <file>) or point --db at one`);
	}

	// A dashboard says within seconds that PostgreSQL is away, rather than waiting out a worker's five minutes.
	const store = openStore(args.db, {readonly: true, reconnectMs: SERVE_RECONNECT_MS});
	let dashboard;
	try {
		// Fails here, before listening, on a database that is not sweeplab's or cannot be read.
		await store.listSweeps();
		const token = args.token ?? (isLoopback(args.host) ? undefined : generateToken());
		dashboard = await startDashboard({store, host: args.host, port: args.port, token, trialsDir: trialsRoot(args)});
	} catch (error) {
		await store.close();
		throw error;
	}

	io.stdout.write(`sweeplab dashboard of ${showDb(args.db)} (read-only): ${dashboard.url}\n`);
	if (args.open) {
		openBrowser(dashboard.url);
	}

	await new Promise<void>(resolve => {
		const stop = () => {
			process.off('SIGINT', stop);
			process.off('SIGTERM', stop);
			resolve();
		};

		process.on('SIGINT', stop);
		process.on('SIGTERM', stop);
	});
	await dashboard.close();
	await store.close();
}

/** Best effort: a machine without a desktop still has the printed URL. */
function openBrowser(url: string): void {
	const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
	try {
		const child = spawn(command, [url], {stdio: 'ignore', detached: true});
		child.on('error', () => undefined);
		child.unref();
	} catch {
		// Nothing to do: the URL is printed above.
	}
}
