/**
 * The dashboard's HTTP server: read-only JSON over the store, the page's static files, and a Server-Sent Events
 * stream of changes. Every response carries a Content-Security-Policy that allows scripts from this server only
 * (no inline script, no eval: Vega runs its expressions through vega-interpreter). The page renders user text
 * (sweep names, questions, parameter values, errors) with textContent, never as HTML.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import type {Worker} from 'node:worker_threads';
import {gzipSync} from 'node:zlib';
import {ServeError, StoreError, SweeplabError, UsageError} from '../errors.js';
import {axisOf} from '../report/chart-common.js';
import {DEFAULT_MARGIN} from '../report/ranking.js';
import {RANK_SORTS, type Store, type SweepStatus} from '../store/store.js';
import {TRIAL_STATES, type TrialState} from '../types.js';
import {type LiveClient, LiveFeed} from './live.js';
import {analyseSweep, compareSpec, configRow, importanceView, leaderboardPage, type SweepAnalysis, type SweepSummary, type TableQuery, trialCurvesSpec} from './model.js';
import {LOG_TAIL_BYTES, MAX_LOG_TAIL_BYTES, readTrialLog} from './logs.js';
import {StaticFiles} from './static.js';

export const CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
	'Content-Security-Policy': CSP,
	'X-Content-Type-Options': 'nosniff',
	'Referrer-Policy': 'no-referrer',
	'X-Frame-Options': 'DENY',
	'Cross-Origin-Opener-Policy': 'same-origin',
};

const COOKIE = 'sweeplab_token';
/** Whole-sweep analyses kept in memory: the sweeps a user is looking at, not every sweep of the database. */
const ANALYSES_KEPT = 2;
/** Page routes: each serves the same shell, whose script reads the path. */
const PAGES = [/^\/$/, /^\/sweeps\/[^/]+$/, /^\/trials\/\d+$/, /^\/compare$/];
const SORTABLE = new Set<string>(RANK_SORTS);

export interface DashboardOptions {
	store: Store;
	host: string;
	port: number;
	/** Required from every request when set (header, cookie or ?token=). */
	token?: string;
	/** Where program trials' folders are (`--trials-dir` of the run): their logs are read from there only. */
	trialsDir?: string;
	pollMs?: number;
	/** One line per unexpected error (never a stack trace, never a password). */
	log?: (line: string) => void;
}

export interface Dashboard {
	/** http://host:port/ (with ?token= when one is required): what to open. */
	url: string;
	port: number;
	server: Server;
	close(): Promise<void>;
}

/** A loopback address: the only kind served without a token. */
export function isLoopback(host: string): boolean {
	return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export function generateToken(): string {
	return randomBytes(18).toString('base64url');
}

/** Constant-time, whatever the lengths. */
function sameToken(given: string | undefined, expected: string): boolean {
	if (given === undefined) {
		return false;
	}

	const digest = (text: string) => createHash('sha256').update(text).digest();
	return timingSafeEqual(digest(given), digest(expected));
}

function cookieToken(request: IncomingMessage): string | undefined {
	for (const part of (request.headers.cookie ?? '').split(';')) {
		const [name, ...value] = part.trim().split('=');
		if (name === COOKIE) {
			return decodePart(value.join('='));
		}
	}

	return undefined;
}

/** A percent-encoded path segment or cookie value; malformed encoding is the client's error. */
function decodePart(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		throw new HttpError(400, `malformed percent-encoding in ${JSON.stringify(text.slice(0, 60))}`);
	}
}

class HttpError extends Error {
	constructor(readonly status: number, message: string) {
		super(message);
	}
}

/**
 * Parsed `?offset=&limit=&sort=&dir=&state=&p.<key>=` of the leaderboard; `values` are the swept values a filter can
 * name, by key (SweepAnalysis.values: a key with too many values to list has none).
 */
export function tableQuery(search: URLSearchParams, keys: readonly string[], values: Readonly<Record<string, readonly string[]>> = {}): TableQuery {
	const integer = (name: string, fallback: number, max: number) => {
		const text = search.get(name);
		if (text === null || text === '') {
			return fallback;
		}

		const value = Number(text);
		if (!Number.isInteger(value) || value < 0 || value > max) {
			throw new HttpError(400, `${name}=${text}: expected a whole number from 0 to ${max}`);
		}

		return value;
	};

	const sort = search.get('sort') ?? 'rank';
	if (!SORTABLE.has(sort) && !(sort.startsWith('param:') && keys.includes(sort.slice('param:'.length)))) {
		throw new HttpError(400, `sort=${sort}: expected one of ${[...SORTABLE].join(', ')} or param:<swept key>`);
	}

	const dir = search.get('dir') || 'asc';
	if (dir !== 'asc' && dir !== 'desc') {
		throw new HttpError(400, `dir=${dir}: expected asc or desc`);
	}

	const state = search.get('state') || undefined;
	if (state !== undefined && !TRIAL_STATES.includes(state as TrialState)) {
		throw new HttpError(400, `state=${state}: expected one of ${TRIAL_STATES.join(', ')}`);
	}

	const params: Record<string, string> = {};
	for (const [name, value] of search) {
		if (name.startsWith('p.') && value !== '') {
			const key = name.slice(2);
			if (!keys.includes(key)) {
				throw new HttpError(400, `${name}: not a swept parameter of this sweep (${keys.join(', ') || 'it sweeps none'})`);
			}

			if (!values[key]) {
				throw new HttpError(400, `${name}=${value}: ${key} takes too many values in this sweep to filter by one`);
			}

			if (!values[key].includes(value)) {
				throw new HttpError(400, `${name}=${value}: not a value of ${key} in this sweep (it has ${values[key].slice(0, 10).join(', ')}${values[key].length > 10 ? ', ...' : ''})`);
			}

			params[name.slice(2)] = value;
		}
	}

	return {offset: integer('offset', 0, 10_000_000), limit: Math.max(1, integer('limit', 50, 500)), sort, descending: dir === 'desc', state: state as TrialState | undefined, params};
}

/**
 * Start serving. The store stays open until close().
 * @throws ServeError when the port is in use or the host cannot be bound.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
	const {store, token} = options;
	const log = options.log ?? (line => process.stderr.write(`${line}\n`));
	const files = new StaticFiles();
	const feed = new LiveFeed(store, {pollMs: options.pollMs, onError: error => log(`sweeplab serve: polling for changes: ${oneLine(error)}`)});
	// The analyses of the sweeps looked at last (a Map keeps insertion order: the first entry is the oldest), and
	// every sweep's small summary, so the sweeps page does not keep every sweep's whole analysis in memory.
	const cache = new Map<string, {version: number; analysis: Promise<SweepAnalysis>}>();
	const summaries = new Map<string, {version: number; summary: SweepSummary}>();
	const streams = new Set<ServerResponse>();
	// Threads computing a sweep's parameter importance (model.ts importanceView), ended on close.
	const threads = new Set<Worker>();
	const loopback = isLoopback(options.host);

	async function statusOf(name: string): Promise<SweepStatus> {
		const status = (await store.listSweeps()).find(candidate => candidate.sweep.name === name);
		if (!status) {
			throw new HttpError(404, `no sweep named "${name}" in this database`);
		}

		return status;
	}

	/** The sweep's analysis, recomputed only after the live feed has seen it change. */
	async function analysis(status: SweepStatus): Promise<SweepAnalysis> {
		const {name} = status.sweep;
		const version = feed.version(name);
		const cached = cache.get(name);
		cache.delete(name);
		if (cached && cached.version === version) {
			cache.set(name, cached);
			return cached.analysis;
		}

		const fresh = analyseSweep(store, status);
		cache.set(name, {version, analysis: fresh});
		for (const oldest of [...cache.keys()].slice(0, Math.max(0, cache.size - ANALYSES_KEPT))) {
			cache.delete(oldest);
		}

		fresh.then(
			done => summaries.set(name, {version, summary: done.summary}),
			() => cache.delete(name),
		);
		return fresh;
	}

	async function summary(status: SweepStatus): Promise<SweepSummary> {
		const known = summaries.get(status.sweep.name);
		return known && known.version === feed.version(status.sweep.name) ? known.summary : (await analysis(status)).summary;
	}

	async function api(path: string, search: URLSearchParams): Promise<unknown> {
		const cursor = feed.cursor;
		if (path === '/api/sweeps') {
			const statuses = await store.listSweeps();
			return {cursor, margin: DEFAULT_MARGIN, sweeps: await Promise.all(statuses.map(async status => summary(status)))};
		}

		let match = /^\/api\/sweeps\/([^/]+)(\/leaderboard|\/importance)?$/.exec(path);
		if (match) {
			const current = await analysis(await statusOf(decodePart(match[1])));
			const keys = Object.keys(current.sweep.definition.parameters).sort();
			if (match[2] === '/leaderboard') {
				return {cursor, ...(await leaderboardPage(store, current, tableQuery(search, keys, current.values)))};
			}

			if (match[2] === '/importance') {
				return {cursor, ...(await importanceView(store, current, threads))};
			}

			const {sweep} = current;
			return {
				cursor,
				sweep: {name: sweep.name, question: sweep.definition.question ?? null, method: sweep.definition.method, file: sweep.file, source: sweep.source, createdAt: sweep.createdAt, dataset: sweep.definition.dataset},
				summary: current.summary,
				keys,
				values: current.values,
				// How the sweep's metric is shown (100 and "... (%)" for an accuracy), for the epochs events bring.
				axis: axisOf(current.result.metric),
				knee: current.result.knee ? current.label(current.result.knee.config) : null,
				fastestWithinMargin: current.result.fastestWithinMargin ? current.label(current.result.fastestWithinMargin.config) : null,
				// The page asks for the aggregates alone when a trial finishes; its per-epoch chart is kept live by events.
				charts: search.get('part') === 'aggregates' ? {tradeoff: current.charts.tradeoff, parallel: current.charts.parallel} : current.charts,
			};
		}

		match = /^\/api\/trials\/(\d+)(\/log)?$/.exec(path);
		if (match) {
			const trial = await store.trial(Number(match[1]));
			const status = trial && (await store.listSweeps()).find(candidate => candidate.sweep.id === trial.sweepId);
			if (!trial || !status) {
				throw new HttpError(404, `no trial ${match[1]} in this database`);
			}

			if (match[2] === '/log') {
				const tail = search.get('tail');
				if (tail !== null && !(/^\d+$/.test(tail) && Number(tail) >= 1 && Number(tail) <= MAX_LOG_TAIL_BYTES)) {
					throw new HttpError(400, `tail=${tail}: expected a number of bytes from 1 to ${MAX_LOG_TAIL_BYTES}`);
				}

				return {cursor, ...(options.trialsDir === undefined ? {path: trial.logPath, unavailable: 'this dashboard was started without a trials folder', size: 0, shown: 0, complete: true, text: ''} : readTrialLog(trial, status.sweep.name, options.trialsDir, tail === null ? LOG_TAIL_BYTES : Number(tail)))};
			}

			const current = await analysis(status);
			const steps = await store.trialSteps([trial.id]);
			const row = await configRow(store, current, trial.configHash);
			return {
				cursor,
				sweep: status.sweep.name,
				label: current.label(trial.config),
				rank: row?.rank ?? null,
				trial,
				metric: current.result.metric,
				steps,
				chart: trialCurvesSpec(trial, steps, row, current.label),
			};
		}

		if (path === '/api/compare') {
			const names = (search.get('sweeps') ?? '').split(',').filter(name => name !== '');
			if (names.length < 2) {
				throw new HttpError(400, 'sweeps=: name two or more sweeps, separated by commas');
			}

			const analyses = await Promise.all(names.map(async name => analysis(await statusOf(name))));
			return {cursor, chart: compareSpec(analyses)};
		}

		throw new HttpError(404, `no such endpoint: ${path}`);
	}

	function events(request: IncomingMessage, response: ServerResponse, search: URLSearchParams): void {
		response.writeHead(200, {...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive'});
		response.write('retry: 2000\n\n');
		const client: LiveClient = {
			sweep: search.get('sweep') ?? undefined,
			send(event, data, id) {
				response.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
			},
		};
		const unsubscribe = feed.subscribe(client);
		streams.add(response);
		// Keeps proxies and idle timeouts from closing a quiet stream.
		const ping = setInterval(() => response.write(': ping\n\n'), 15_000);
		request.on('close', () => {
			clearInterval(ping);
			unsubscribe();
			streams.delete(response);
		});
		const from = Number(request.headers['last-event-id'] ?? search.get('cursor'));
		if (client.sweep !== undefined && Number.isFinite(from) && from > 0) {
			feed.catchUp(client, from).catch(error => log(`sweeplab serve: catching a page up: ${oneLine(error)}`));
		}
	}

	async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://dashboard');
		if (request.method !== 'GET' && request.method !== 'HEAD') {
			throw new HttpError(405, 'read-only: only GET and HEAD');
		}

		// A page on another site cannot reach a loopback dashboard through a DNS name that resolves to 127.0.0.1.
		const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '');
		if (loopback && !isLoopback(hostHeader)) {
			throw new HttpError(403, `Host ${hostHeader || '(none)'} is not this dashboard's address; open it at 127.0.0.1 or localhost`);
		}

		if (token !== undefined) {
			const given = url.searchParams.get('token') ?? (request.headers.authorization?.startsWith('Bearer ') ? request.headers.authorization.slice(7) : cookieToken(request));
			if (!sameToken(given, token)) {
				throw new HttpError(401, 'this dashboard needs its token: open the URL that sweeplab serve printed (it ends in ?token=...)');
			}

			if (url.searchParams.has('token')) {
				// Keep the token out of the address bar and history: a cookie carries it from now on.
				url.searchParams.delete('token');
				response.writeHead(303, {...SECURITY_HEADERS, Location: url.pathname + url.search, 'Set-Cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`}).end();
				return;
			}
		}

		const path = url.pathname;
		if (path === '/api/events') {
			events(request, response, url.searchParams);
			return;
		}

		if (path.startsWith('/api/')) {
			send(response, 200, 'application/json; charset=utf-8', JSON.stringify(await api(path, url.searchParams)), request);
			return;
		}

		const file = PAGES.some(page => page.test(path)) ? files.get('/assets/index.html') : files.get(path);
		if (!file) {
			throw new HttpError(404, 'not found');
		}

		// The page's files and the Vega bundles change only with the installed package: a browser revalidates them
		// (no-cache) and gets a 304 instead of the bytes again.
		if (request.headers['if-none-match'] === file.etag) {
			response.writeHead(304, {...SECURITY_HEADERS, ETag: file.etag, 'Cache-Control': 'no-cache'}).end();
			return;
		}

		send(response, 200, file.type, accepts(request) ? file.gzipped : file.body, request, true, {ETag: file.etag, 'Cache-Control': 'no-cache'});
	}

	const server = createServer((request, response) => {
		handle(request, response).catch(error => {
			if (response.headersSent) {
				response.end();
				return;
			}

			const [status, message] = failure(error);
			if (status === 500) {
				log(`sweeplab serve: ${request.method} ${(request.url ?? '').split('?')[0]}: ${oneLine(error)}`);
			}

			const wantsJson = (request.url ?? '').startsWith('/api/');
			send(response, status, wantsJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', wantsJson ? JSON.stringify({error: message}) : `${status}: ${message}\n`, request);
		});
	});
	server.keepAliveTimeout = 5000;

	await new Promise<void>((resolve, reject) => {
		server.once('error', (error: NodeJS.ErrnoException) => {
			const where = `${options.host}:${options.port}`;
			reject(
				error.code === 'EADDRINUSE'
					? new ServeError(`port ${options.port} on ${options.host} is in use; stop what is using it or pass another --port`, {cause: error})
					: error.code === 'EACCES'
						? new ServeError(`not allowed to listen on ${where} (ports below 1024 need privileges); pass --port 8080 or another port above 1023`, {cause: error})
						: new ServeError(`cannot listen on ${where}: ${error.code ?? error.message}; check --host names an address of this machine`, {cause: error}),
			);
		});
		server.listen(options.port, options.host, resolve);
	});
	feed.start();
	const {port} = server.address() as AddressInfo;
	const shown = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
	return {
		url: `http://${shown}:${port}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`,
		port,
		server,
		async close() {
			await feed.stop();
			for (const stream of streams) {
				stream.end();
			}

			await Promise.all([...threads].map(async thread => thread.terminate()));

			server.closeAllConnections();
			await new Promise<void>(resolve => {
				server.close(() => resolve());
			});
		},
	};
}

const accepts = (request: IncomingMessage): boolean => /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));

/**
 * Write a whole response. Bodies over 1 KB go gzipped to a client that accepts it (the Vega bundles and a large
 * sweep's JSON shrink four to eight times); `compressed` says the body already is, when the client accepts it.
 * API answers are never cached (`headers` may say otherwise for static files).
 */
function send(response: ServerResponse, status: number, type: string, body: string | Buffer, request: IncomingMessage, compressed = false, headers: Record<string, string> = {}): void {
	const gzip = accepts(request) && (compressed || Buffer.byteLength(body) > 1024);
	const payload = gzip && !compressed ? gzipSync(body) : body;
	response.writeHead(status, {
		...SECURITY_HEADERS,
		'Content-Type': type,
		'Cache-Control': 'no-store',
		'Content-Length': Buffer.byteLength(payload),
		Vary: 'Accept-Encoding',
		...(gzip ? {'Content-Encoding': 'gzip'} : {}),
		...headers,
	});
	response.end(request.method === 'HEAD' ? undefined : payload);
}

/** Status and the one line a client may see: never a stack trace, never a driver message with a password. */
function failure(error: unknown): [number, string] {
	if (error instanceof HttpError) {
		return [error.status, error.message];
	}

	if (error instanceof UsageError) {
		return [404, error.message];
	}

	if (error instanceof StoreError) {
		// Store messages name the database with its password redacted.
		return [503, error.message];
	}

	if (error instanceof SweeplabError) {
		return [500, error.message];
	}

	return [500, 'internal error (the server log has the message)'];
}

function oneLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).replaceAll('\n', ' ');
}
