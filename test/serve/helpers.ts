import {request} from 'node:http';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import {startDashboard, type Dashboard, type DashboardOptions} from '../../src/serve/server.js';
import {openSqliteStore, type SqliteStore} from '../../src/store/sqlite.js';
import {LONG_LEASE, OWNER_A, stepRecord, sweepInput, trialSpecs} from '../store/contract.js';

export interface Served {
	dashboard: Dashboard;
	/** Writes to the same file, as `sweeplab run` would beside the dashboard. */
	writer: SqliteStore;
	sweepId: number;
	base: string;
}

/**
 * A database with sweep 'widths' (3 configs: two completed with 3 epochs, one pending), served read-only on a
 * free loopback port. Torn down with the test.
 */
export async function serveFixture(t: ExecutionContext, options: Partial<DashboardOptions> = {}): Promise<Served> {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-serve-'));
	const path = join(dir, 'sweeps.db');
	const writer = openSqliteStore(path);
	const sweep = await writer.openSweep(sweepInput('widths'));
	await writer.addTrials(sweep.id, trialSpecs(3));
	for (const accuracy of [0.8, 0.7]) {
		const trial = (await writer.claimTrial(sweep.id, OWNER_A, LONG_LEASE))!;
		await writer.markStarted(trial.id, OWNER_A, {backend: 'cpu', trainingPath: 'lean', host: 'box', paramCount: 100});
		for (let epoch = 1; epoch <= 3; epoch++) {
			await writer.recordStep(trial.id, OWNER_A, stepRecord(epoch, {valAccuracy: accuracy - (3 - epoch) / 100}));
		}

		await writer.finishTrial(trial.id, OWNER_A, {state: 'completed', metrics: {test_accuracy: accuracy}, trainSeconds: 10 * accuracy});
	}

	const reader = openSqliteStore(path, {readonly: true});
	const dashboard = await startDashboard({store: reader, host: '127.0.0.1', port: 0, pollMs: 50, log: () => undefined, ...options});
	t.teardown(async () => {
		await dashboard.close();
		await reader.close();
		await writer.close();
		rmSync(dir, {recursive: true, force: true});
	});
	return {dashboard, writer, sweepId: sweep.id, base: `http://127.0.0.1:${dashboard.port}`};
}

export interface RawResponse {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

/** A request whose path goes out exactly as written (fetch would normalise `..` away). */
export async function raw(port: number, path: string, options: {method?: string; headers?: Record<string, string>} = {}): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const outgoing = request({host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers}, response => {
			let body = '';
			response.setEncoding('utf8');
			response.on('data', chunk => {
				body += chunk;
			});
			response.on('end', () => resolve({status: response.statusCode!, headers: response.headers, body}));
		});
		outgoing.on('error', reject);
		outgoing.end();
	});
}

export interface ServerEvent {
	event: string;
	id?: string;
	data: any;
}

/**
 * Read Server-Sent Events from `path` until `until` says stop (or the timeout passes). `opened` resolves with the
 * stream's first bytes: by then the server has subscribed it, so a write after that is pushed to it.
 */
export function readEvents(port: number, path: string, until: (events: ServerEvent[]) => boolean, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<ServerEvent[]> & {opened: Promise<void>} {
	let opened!: () => void;
	const openedPromise = new Promise<void>(resolve => {
		opened = resolve;
	});
	const events = new Promise<ServerEvent[]>((resolve, reject) => {
		const events: ServerEvent[] = [];
		let buffer = '';
		const outgoing = request({host: '127.0.0.1', port, path, headers}, response => {
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				opened();
				buffer += chunk;
				let end;
				while ((end = buffer.indexOf('\n\n')) >= 0) {
					const block = buffer.slice(0, end);
					buffer = buffer.slice(end + 2);
					const fields = Object.fromEntries(block.split('\n').filter(line => !line.startsWith(':') && line.includes(': ')).map(line => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]));
					if (fields.event) {
						events.push({event: fields.event, id: fields.id, data: JSON.parse(fields.data)});
					}
				}

				if (until(events)) {
					clearTimeout(timer);
					outgoing.destroy();
					resolve(events);
				}
			});
		});
		const timer = setTimeout(() => {
			outgoing.destroy();
			reject(new Error(`timed out reading events from ${path}; got ${JSON.stringify(events)}`));
		}, timeoutMs);
		outgoing.on('error', error => {
			if (!outgoing.destroyed) {
				reject(error);
			}
		});
		outgoing.end();
	});
	return Object.assign(events, {opened: openedPromise});
}

/** GET and parse JSON, for tests that read the API loosely. */
export async function getJson(url: string): Promise<any> {
	return (await fetch(url)).json();
}
