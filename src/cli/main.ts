#!/usr/bin/env node
import {join} from 'node:path';
import yargs, {type Argv} from 'yargs';
import {hideBin} from 'yargs/helpers';
import {SweeplabError, UsageError} from '../errors.js';
import {processIo, showDb} from './common.js';
import {planBuilder, planCommand, renderPlan} from './plan.js';
import {runBuilder, runCommand} from './run.js';
import {statusBuilder, statusCommand} from './status.js';
import {statusTable} from './tables.js';
import {bestBuilder, bestCommand, bestJson, renderBest} from './best.js';
import {reportBuilder, reportCommand} from './report.js';
import {copySweep, exportBuilder, exportCommand, exportWeights, writeExport} from './export.js';
import {workerBuilder, workerCommand} from './worker.js';
import {askBuilder, askCommand, renderAsked} from './ask.js';
import {renderTell, tellBuilder, tellCommand} from './tell.js';
import {serveBuilder, serveCommand} from './serve.js';

const EXIT_ERROR = 1;
const EXIT_USAGE = 2;
/** A command whose output pipe was closed (`sweeplab status | head -1`) ends as one killed by SIGPIPE does: 128 + 13. */
const EXIT_CLOSED_PIPE = 141;

/**
 * Aborted when stdout or stderr turns out to be a closed pipe (EPIPE): the reader has gone, as with
 * `sweeplab run sweep.yaml | head -1`. Output is then dropped without a stack trace, a run stops as on Ctrl-C (its
 * trials interrupted and resumable) and sweeplab exits with EXIT_CLOSED_PIPE, as `git log | head` does.
 */
const closedPipe = new AbortController();
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
	// `on`: a stream may report more than one failed write.
	stream.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code !== 'EPIPE') {
			throw error;
		}

		process.exitCode = EXIT_CLOSED_PIPE;
		closedPipe.abort(`${name} closed`);
	});
}

/**
 * The first Ctrl-C (SIGINT) or SIGTERM stops claiming trials and lets running ones finish their epoch (marked
 * interrupted, resumable); a second one exits at once, leaving running trials to be requeued by the next run.
 * The abort reason is the signal's name, which the trials' stop reason repeats. A closed output pipe stops the run
 * the same way.
 */
function interruptSignal(): AbortSignal {
	const controller = new AbortController();
	const onSignal = (signal: NodeJS.Signals) => {
		if (controller.signal.aborted) {
			process.stderr.write(`\nsweeplab: ${signal} again: stopping now; unfinished trials will rerun on resume\n`);
			process.exit(130);
		}

		process.stderr.write(`\nsweeplab: ${signal}: finishing the current epochs, then stopping (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop now)\n`);
		controller.abort(signal);
	};

	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	return AbortSignal.any([controller.signal, closedPipe.signal]);
}

export function buildCli(argv: string[]): Argv {
	return yargs(argv)
		.scriptName('sweeplab')
		.usage('$0 <command> [options]\n\nHyperparameter sweeps for TensorFlow.js image classifiers: every epoch of every trial in SQLite.')
		.command('run <file>', 'Train every trial of a sweep file (resumes where a previous run stopped)', runBuilder, async args => {
			const {exitCode} = await runCommand(args, processIo, interruptSignal());
			process.exitCode = exitCode;
		})
		.command('worker <sweep>', 'Join a sweep already in the database (e.g. on PostgreSQL from another host) and train its trials', workerBuilder, async args => {
			const {exitCode} = await workerCommand(args, processIo, interruptSignal());
			process.exitCode = exitCode;
		})
		.command('plan <file>', 'Show the trials a sweep file expands to, without training', planBuilder, async args => {
			const {plan, keys, parameters} = await planCommand(args);
			processIo.stdout.write((args.json ? JSON.stringify(plan, null, 2) : renderPlan(plan, keys, parameters)) + '\n');
		})
		.command('status', 'List the sweeps in the database with trial counts per state', statusBuilder, async args => {
			const sweeps = await statusCommand(args);
			processIo.stdout.write((args.json ? JSON.stringify(sweeps, null, 2) : sweeps.length === 0 ? `no sweeps in ${showDb(args.db)}` : statusTable(sweeps)) + '\n');
		})
		.command('best <sweep>', 'Rank the configs of a sweep: accuracy against training time, Pareto front, ties', bestBuilder, async args => {
			const best = await bestCommand(args);
			processIo.stdout.write((args.json ? JSON.stringify(bestJson(best), null, 2) : renderBest(best)) + '\n');
		})
		.command('report [sweep]', 'Write reports/<sweep>/README.md with the leaderboard and SVG plots (--all: every sweep)', reportBuilder, async args => {
			const {written} = await reportCommand(args);
			processIo.stdout.write(written.map(path => `wrote ${path}`).join('\n') + '\n');
		})
		.command('export <sweep>', 'Print or write the trials and epochs of a sweep as CSV or JSON, or copy it into a SQLite file (--to)', exportBuilder, async args => {
			if (args.weights !== undefined) {
				const written = await exportWeights({...args, weights: args.weights});
				processIo.stderr.write(`wrote ${join(written.directory, 'model.json')} and weights.bin: trial #${written.ordinal}'s weights after epoch ${written.epoch} (test accuracy ${written.testAccuracy ?? 'not recorded'})\n`);
				return;
			}

			if (args.to) {
				const {trials, epochs, checkpoints} = await copySweep({...args, to: args.to});
				processIo.stderr.write(`copied sweep '${args.sweep}' (${trials} trials, ${epochs} epochs, ${checkpoints} checkpoints and kept weights) into ${args.to}\n`);
				return;
			}

			const text = await exportCommand(args);
			if (args.out) {
				writeExport(text, args.out);
				processIo.stderr.write(`wrote ${args.out}\n`);
			} else {
				processIo.stdout.write(text);
			}
		})
		.command('ask <sweep>', 'Claim the next trial of a sweep for your own trainer: prints its id and parameters (nothing when none is left)', askBuilder, async args => {
			const asked = await askCommand(args);
			if (asked) {
				processIo.stdout.write(renderAsked(asked, args.json) + '\n');
			} else {
				processIo.stderr.write(`sweeplab: sweep '${args.sweep}' has no trial left to ask for (every trial is finished or running)\n`);
			}
		})
		.command('tell <sweep> <trial>', 'Record a step of an asked trial (answers continue or pruned) or how it ended', tellBuilder, async args => {
			processIo.stdout.write(renderTell(await tellCommand(args), args.json) + '\n');
		})
		.command('serve', 'Serve a live dashboard of the database, read-only (http://127.0.0.1:8080 by default)', serveBuilder, async args => {
			await serveCommand(args, processIo);
		})
		.demandCommand(1, 'name a command: run, worker, plan, status, best, report, export, ask, tell or serve')
		.strict()
		.recommendCommands()
		.help()
		.alias('h', 'help')
		.version()
		.wrap(Math.min(110, process.stdout.columns ?? 110))
		.fail((message, error) => {
			// yargs rethrows an option's coerce error as its own YError, keeping only the message: a usage error too.
			throw error && error.name !== 'YError' ? error : new UsageError(message ?? error.message);
		});
}

export async function main(argv: string[]): Promise<void> {
	const verbose = argv.includes('--verbose');
	try {
		await buildCli(argv).parseAsync();
		if (closedPipe.signal.aborted) {
			process.exitCode = EXIT_CLOSED_PIPE;
		}
	} catch (error) {
		if (error instanceof SweeplabError) {
			process.stderr.write(`sweeplab: ${error.message}${error instanceof UsageError ? ' (see sweeplab --help)' : ''}\n`);
			if (verbose) {
				process.stderr.write(`${error.stack ?? ''}\n`);
			}

			process.exitCode = error instanceof UsageError ? EXIT_USAGE : EXIT_ERROR;
			return;
		}

		process.stderr.write(`sweeplab: unexpected error: ${(error as Error)?.message ?? String(error)}${verbose ? `\n${(error as Error)?.stack ?? ''}` : ' (rerun with --verbose for the stack trace)'}\n`);
		process.exitCode = EXIT_ERROR;
	}
}

await main(hideBin(process.argv));
