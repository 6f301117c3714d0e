/**
 * Program trials (issue 12): a sweep's `program: {command: [...]}` runs once per trial as a child process, in a
 * process group of its own (reaper.ts), gets its parameters as `${args}` and in its environment, and reports JSON
 * lines on stdout (report-line.ts) that go to the run loop's TrialSink as they arrive. Its other output goes to a
 * bounded log in the trial's directory (trial-log.ts). A pruning verdict, the time limit, divergence or an abort
 * ends the whole group: SIGTERM, then SIGKILL after the grace period.
 */
import {spawn} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {checkProgram} from '../sweep/command.js';
import {ARGS_PLACEHOLDER} from '../sweep/schema.js';
import {ProcessGroup} from './reaper.js';
import {isReportLine, parseReportLine} from './report-line.js';
import {LineSplitter, TrialLog} from './trial-log.js';
import type {TrialRunner} from './runner.js';
import type {StepReport, TrialSink} from './trial-sink.js';

export interface ProgramSpec {
	command: string[];
	/** Absolute. */
	cwd: string;
	env: Record<string, string>;
}

export interface ProgramTrial {
	id: number;
	params: Record<string, unknown>;
	seed: number;
	/** The trial's output directory; created by the runner. */
	dir: string;
	/** The sweep's metric: a program that never reports it fails, a non-finite value of it is divergence. */
	metric: string;
}

export interface ProgramResult {
	state: 'completed' | 'failed' | 'pruned' | 'timeout' | 'interrupted' | 'diverged';
	/** For failed, diverged, timeout and interrupted: what happened, one line. */
	error?: string;
	/** For pruned: the pruner's reason. */
	stopReason?: string;
	logPath: string;
	/** Report lines that could not be read (each is in the log with the reason). */
	malformedLines: number;
	/** Steps committed to the sink. */
	steps: number;
	/** Wall seconds from the start of the program to the end of its process group. */
	seconds: number;
}

export interface ProgramOptions {
	/** Aborting ends the program (state `interrupted`, the abort reason as error when it is a string). */
	signal?: AbortSignal;
	/** The program is ended after this long (state `timeout`). */
	timeoutMs?: number;
	/** Between SIGTERM and SIGKILL. */
	graceMs?: number;
	/** Cap of trial.log plus its rotated predecessor trial.log.1. */
	logLimitBytes?: number;
}

export const DEFAULT_GRACE_MS = 5000;
export const DEFAULT_LOG_LIMIT_BYTES = 10 * 1024 * 1024;
/** Steps waiting for the sink beyond this pause the program's stdout (the pipe then blocks the program). */
const MAX_QUEUED_STEPS = 64;
/** Lines of stderr kept for the error of a failed trial. */
const STDERR_TAIL_LINES = 5;
/** How long output may still trickle in once the program's group has ended before the pipes are closed. */
const DRAIN_IDLE_MS = 2000;

/** A parameter value as a command-line value: strings as they are, numbers and booleans as written, lists and objects as JSON. */
function argValue(value: unknown): string {
	return typeof value === 'string' ? value : (typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value) ?? 'null');
}

/** The command with each `${args}` element replaced by `--name=value` per parameter (the sweep's schema saw that `${args}` is never part of an element). */
export function expandCommand(command: readonly string[], params: Record<string, unknown>): string[] {
	const args = Object.entries(params).map(([name, value]) => `--${name}=${argValue(value)}`);
	return command.flatMap(part => part === ARGS_PLACEHOLDER ? args : [part]);
}

/** The program's environment: sweeplab's, then the sweep's `env`, then the trial's SWEEPLAB_* variables. */
export function programEnv(spec: ProgramSpec, trial: ProgramTrial): Record<string, string> {
	return {
		...process.env as Record<string, string>,
		// Python block-buffers a piped stdout: its reports would arrive at exit, too late for any pruner.
		PYTHONUNBUFFERED: '1',
		...spec.env,
		SWEEPLAB_PARAMS: JSON.stringify(trial.params),
		SWEEPLAB_TRIAL_ID: String(trial.id),
		SWEEPLAB_SEED: String(trial.seed),
		SWEEPLAB_TRIAL_DIR: trial.dir,
		SWEEPLAB_CHECKPOINT_DIR: join(trial.dir, 'checkpoint'),
	};
}

/** A command element as a shell would need it, for the log's header line. */
function shellQuote(part: string): string {
	return /^[\w./:=@%+,-]+$/.test(part) ? part : `'${part.replaceAll('\'', '\'\\\'\'')}'`;
}

/**
 * Run one program trial to its end. Steps go to `sink` in order as the program reports them; a verdict from the
 * sink ends the program as pruned. Final metrics (report lines without a step) go to `sink.final` once, after the
 * program ended. Resolves with how the trial ended; never rejects for anything the program does, only when the
 * sink rejects (the store refused a write, the lease was lost), after the program has been ended.
 */
export async function runProgramTrial(spec: ProgramSpec, trial: ProgramTrial, sink: TrialSink, options: ProgramOptions = {}): Promise<ProgramResult> {
	const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
	const logPath = join(trial.dir, 'trial.log');
	const started = performance.now();
	let malformedLines = 0;
	let steps = 0;
	const ended = (state: ProgramResult['state'], text?: string): ProgramResult => ({
		state,
		...(state === 'pruned' ? {stopReason: text} : (text === undefined ? {} : {error: text})),
		logPath,
		malformedLines,
		steps,
		seconds: (performance.now() - started) / 1000,
	});

	const argv = expandCommand(spec.command, trial.params);
	try {
		mkdirSync(join(trial.dir, 'checkpoint'), {recursive: true});
	} catch (error) {
		return ended('failed', `cannot create the trial's folder ${trial.dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}

	const log = new TrialLog(logPath, options.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES);
	if (options.signal?.aborted) {
		log.close();
		return ended('interrupted', abortReason(options.signal));
	}

	log.note(`trial ${trial.id}: ${argv.map(shellQuote).join(' ')} (in ${spec.cwd})`);
	const child = spawn(argv[0], argv.slice(1), {cwd: spec.cwd, env: programEnv(spec, trial), detached: true, stdio: ['ignore', 'pipe', 'pipe']});
	// `on`, not `once`: a later 'error' (a failed kill) must not go unhandled.
	const spawnError = new Promise<NodeJS.ErrnoException>(resolve => {
		child.on('error', resolve);
	});
	if (child.pid === undefined) {
		const problem = spawnProblem(await spawnError, spec);
		log.note(problem);
		log.close();
		return ended('failed', problem);
	}

	const group = new ProcessGroup(child.pid, graceMs);
	log.note(`process group ${child.pid}`);
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => {
		child.once('exit', (code, signal) => {
			resolve({code, signal});
		});
	});

	let stop: {state: ProgramResult['state']; text: string} | undefined;
	const stopWith = (state: ProgramResult['state'], text: string) => {
		if (stop) {
			return;
		}

		stop = {state, text};
		log.note(`ending the program (SIGTERM, SIGKILL after ${graceMs} ms): ${state}: ${text}`);
		void group.end();
	};

	// Steps go to the sink one at a time, in order; stdout pauses while too many wait.
	let queue: Promise<void> = Promise.resolve();
	let queued = 0;
	let sinkError: unknown;
	let lastStep = 0;
	let lastReportAt = started;
	let metricSeen = false;
	const finalMetrics: Record<string, number> = {};
	const queueStep = (report: StepReport) => {
		if (++queued >= MAX_QUEUED_STEPS) {
			child.stdout.pause();
		}

		queue = queue.then(async () => {
			if (stop || sinkError) {
				return;
			}

			const verdict = await sink.step(report);
			steps++;
			const value = report.metrics[trial.metric];
			if (value !== undefined && !Number.isFinite(value)) {
				stopWith('diverged', `${trial.metric} was ${value} at step ${report.step}`);
			} else if (verdict) {
				stopWith('pruned', verdict);
			}
		}).catch((error: unknown) => {
			sinkError ??= error;
			stopWith('interrupted', `the run could not record step ${report.step}`);
		}).finally(() => {
			if (--queued < MAX_QUEUED_STEPS / 2 && child.stdout.isPaused()) {
				child.stdout.resume();
			}
		});
	};

	const onReport = (line: Buffer) => {
		const text = line.toString('utf8');
		const report = parseReportLine(text, trial.metric);
		if (report.kind === 'step' && report.step <= lastStep) {
			malformedOne(`step ${report.step} does not follow step ${lastStep}`, text);
		} else if (report.kind === 'malformed') {
			malformedOne(report.reason, text);
		} else if (stop) {
			// Reports racing the end of a stopped program are not the trial's any more.
		} else {
			metricSeen ||= trial.metric in report.metrics;
			if (report.kind === 'step') {
				const now = performance.now();
				lastStep = report.step;
				queueStep({step: report.step, metrics: report.metrics, seconds: (now - lastReportAt) / 1000});
				lastReportAt = now;
			} else {
				Object.assign(finalMetrics, report.metrics);
			}
		}
	};

	const malformedOne = (reason: string, text: string) => {
		malformedLines++;
		log.note(`malformed report line (${reason}): ${text.slice(0, 1000)}`);
	};

	const stderrTail: string[] = [];
	let lastOutputAt = performance.now();
	const stdoutLines = new LineSplitter((line, whole) => {
		if (whole && isReportLine(line)) {
			onReport(line);
		} else {
			log.line(line);
		}
	});
	const stderrLines = new LineSplitter(line => {
		log.line(line);
		const text = line.toString('utf8').trim();
		if (text) {
			stderrTail.push(text.slice(0, 300));
			if (stderrTail.length > STDERR_TAIL_LINES) {
				stderrTail.shift();
			}
		}
	});
	const drained = Promise.all([
		pipe(child.stdout, stdoutLines),
		pipe(child.stderr, stderrLines),
	]);
	function pipe(stream: NodeJS.ReadableStream & {on(event: 'data', listener: (chunk: Buffer) => void): unknown}, lines: LineSplitter): Promise<void> {
		stream.on('error', () => undefined);
		stream.on('data', (chunk: Buffer) => {
			lastOutputAt = performance.now();
			lines.push(chunk);
			log.flush();
		});
		return new Promise(resolve => {
			stream.once('end', () => {
				lines.end();
				log.flush();
			});
			stream.once('close', resolve);
		});
	}

	const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
		stopWith('timeout', `exceeded its time limit (timeoutMinutes: ${+(options.timeoutMs! / 60_000).toPrecision(3)})`);
	}, options.timeoutMs);
	const onAbort = () => {
		stopWith('interrupted', abortReason(options.signal!));
	};

	options.signal?.addEventListener('abort', onAbort, {once: true});
	const exit = await exited;
	clearTimeout(timer);
	options.signal?.removeEventListener('abort', onAbort);
	// Whatever the program left running in its group goes with it.
	if (await group.end() && !stop) {
		log.note('the program left processes running in its group; they were ended');
	}

	await drainPipes();
	await queue;
	const seconds = (performance.now() - started) / 1000;
	log.note(`${exit.signal ? `ended by ${exit.signal}` : `exited with code ${exit.code}`} after ${seconds.toFixed(1)} s`);
	log.close();
	if (sinkError) {
		throw sinkError;
	}

	if (Object.keys(finalMetrics).length > 0) {
		await sink.final(finalMetrics);
	}

	if (stop) {
		return ended(stop.state, stop.text);
	}

	const tail = stderrTail.length > 0 ? `; last stderr: ${stderrTail.join(' | ')}` : ` (nothing on stderr; see ${logPath})`;
	if (exit.signal) {
		return ended('failed', `killed by ${exit.signal}${tail}`);
	}

	if (exit.code !== 0) {
		return ended('failed', `exited with code ${exit.code}${tail}`);
	}

	if (!metricSeen) {
		const malformed = malformedLines > 0 ? `; ${malformedLines} report line${malformedLines === 1 ? ' was' : 's were'} malformed (see ${logPath})` : '';
		return ended('failed', `exited with code 0 without reporting ${trial.metric} (print a JSON line such as {"epoch": 1, "${trial.metric}": 0.9} on stdout)${malformed}`);
	}

	const final = finalMetrics[trial.metric];
	if (final !== undefined && !Number.isFinite(final)) {
		return ended('diverged', `${trial.metric} was ${final} in the final metrics`);
	}

	return ended('completed');

	// The group has ended; the pipes close once read to the end, unless a process that left the group holds them.
	async function drainPipes(): Promise<void> {
		let idle: NodeJS.Timeout | undefined;
		const stalled = new Promise<boolean>(resolve => {
			const check = () => {
				const quiet = performance.now() - lastOutputAt;
				if (quiet >= DRAIN_IDLE_MS && queued === 0) {
					resolve(true);
				} else {
					idle = setTimeout(check, Math.max(DRAIN_IDLE_MS - quiet, 50));
				}
			};

			idle = setTimeout(check, DRAIN_IDLE_MS);
		});
		const stuck = await Promise.race([drained.then(() => false), stalled]);
		clearTimeout(idle);
		if (stuck) {
			log.note('a process outside the program\'s group still holds its output pipes; output after this line is dropped');
			child.stdout.destroy();
			child.stderr.destroy();
			stdoutLines.end();
			stderrLines.end();
		}
	}
}

/**
 * The run loop's runner (runner.ts) for a sweep's `program: {command}`: each trial runs in its own folder
 * `<trialsDir>/trial-<id>`, is stopped by the loop's signal (interrupt, lost lease) and the sweep's timeoutMinutes.
 */
export function programRunner(spec: ProgramSpec, trialsDir: string, options: Pick<ProgramOptions, 'graceMs' | 'logLimitBytes'> = {}): TrialRunner {
	return async (trial, sink, control) => {
		const dir = join(trialsDir, `trial-${trial.id}`);
		const result = await runProgramTrial(spec, {id: trial.id, params: trial.config, seed: trial.seed, dir, metric: control.metric.name}, sink, {...options, signal: control.signal, timeoutMs: control.timeoutMs});
		return {state: result.state, trainSeconds: result.seconds, error: result.error, stopReason: result.stopReason, logPath: result.logPath};
	};
}

function abortReason(signal: AbortSignal): string {
	return typeof signal.reason === 'string' ? signal.reason : 'interrupted';
}

/** One line for a program that could not be started. */
function spawnProblem(error: NodeJS.ErrnoException, spec: ProgramSpec): string {
	const program = spec.command[0];
	const problem = checkProgram(spec);
	if (problem) {
		return problem.key === 'cwd' ? `the working directory ${problem.message}` : problem.message;
	}

	if (error.code === 'ENOENT') {
		// The file is there and executable, so what is missing is the interpreter its #! line names.
		return `${program} could not be started: the interpreter on its #! line is not found`;
	}

	return `${program} could not be started: ${error.code ?? error.message}`;
}
