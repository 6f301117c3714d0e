import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {getDatasetEntry} from '../data/registry.js';
import type {Argv} from 'yargs';
import {rankSweep, readSweep} from '../report/data.js';
import {exportSweep, toCsv} from '../report/export.js';
import {openForReport} from './best.js';
import {UsageError} from '../errors.js';
import {isPostgresUrl} from '../store/pg-connection.js';
import {loadBackend} from '../train/backend.js';
import {CheckpointError, decodeWeights} from '../train/checkpoint.js';
import {builtinConfig} from '../types.js';
import {layersModelFiles, WEIGHTS_FILE} from '../train/export.js';
import {globalOptions, type GlobalArgs, numberOption, openStore, showDb} from './common.js';

export const EXPORT_FORMATS = ['csv', 'json'] as const;

export interface ExportArgs extends GlobalArgs {
	sweep: string;
	format: (typeof EXPORT_FORMATS)[number];
	out?: string;
	to?: string;
	weights?: number;
}

export function exportBuilder(yargs: Argv): Argv<ExportArgs> {
	return globalOptions(yargs)
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Sweep name (see sweeplab status)'})
		.option('format', {choices: EXPORT_FORMATS, default: 'csv' as const, describe: 'csv: one row per epoch with its trial; json: trials with their epochs'})
		.option('out', {alias: 'o', type: 'string', describe: 'Write to this file instead of stdout'})
		.option('to', {type: 'string', describe: 'Copy the sweep (trials, epochs, hosts, checkpoints and kept weights) into this SQLite file instead, e.g. from PostgreSQL to take home', conflicts: ['out']})
		.option('weights', numberOption('weights', 'integer >= 0', {describe: 'Write trial #N\'s kept weights (keepBestWeights: true) as a tfjs layers model (model.json + weights.bin) into the --out folder', conflicts: ['to']})) as unknown as Argv<ExportArgs>;
}

/** `sweeplab export <sweep>`: the sweep's trials and epochs as CSV or JSON text. */
export async function exportCommand(args: ExportArgs): Promise<string> {
	const store = openForReport(args.db);
	try {
		const {sweep, trials, steps} = await readSweep(store, args.sweep, {db: args.db});
		const data = exportSweep(sweep, trials, steps);
		return args.format === 'csv' ? toCsv(data) : JSON.stringify(data, null, 2) + '\n';
	} finally {
		await store.close();
	}
}

/** Write the export to the --out file, creating its folder. */
export function writeExport(text: string, out: string): void {
	mkdirSync(dirname(out), {recursive: true});
	writeFileSync(out, text);
}

/**
 * `sweeplab export <sweep> --weights N --out DIR`: trial #N's kept weights as DIR/model.json + DIR/weights.bin,
 * which `tf.loadLayersModel` reads (input: flattened images in [0, 1]; output: class probabilities).
 * @throws UsageError when --out is missing, the trial does not exist or kept no weights.
 */
export async function exportWeights(args: ExportArgs & {weights: number}): Promise<{directory: string; ordinal: number; epoch: number; testAccuracy: number | null}> {
	if (!Number.isSafeInteger(args.weights) || args.weights < 0) {
		throw new UsageError(`--weights ${args.weights}: give a trial number (the #N of sweeplab status and run's output)`);
	}

	if (!args.out) {
		throw new UsageError('--weights needs --out DIR: the folder to write model.json and weights.bin into');
	}

	const store = openForReport(args.db);
	try {
		const {sweep, trials} = await rankSweep(store, args.sweep, {db: showDb(args.db)});
		const trial = trials.find(candidate => candidate.ordinal === args.weights);
		if (!trial) {
			throw new UsageError(`sweep "${args.sweep}" has no trial #${args.weights} (it has #0 to #${trials.length - 1})`);
		}

		const stored = await store.loadCheckpoint(trial.id, 'weights');
		if (!stored) {
			throw new UsageError(`trial #${trial.ordinal} of sweep "${args.sweep}" kept no weights (it is ${trial.state}); only completed trials of a sweep with keepBestWeights: true keep them`);
		}

		// Kept weights come from the built-in trainer only, whose sweeps always name a dataset.
		const {imageShape, numClasses} = getDatasetEntry(sweep.definition.dataset!.name);
		const shape = {imageShape: [...imageShape] as [number, number, number], numClasses};
		const config = builtinConfig(trial.config);
		let decoded: ReturnType<typeof decodeWeights>;
		try {
			decoded = decodeWeights(stored.data, {config, seed: trial.seed, shape});
		} catch (error) {
			if (error instanceof CheckpointError) {
				throw new UsageError(`the kept weights of trial #${trial.ordinal} cannot be read: ${error.message}`, {cause: error});
			}

			throw error;
		}

		const {tf} = await loadBackend('cpu');
		const files = await layersModelFiles(tf, config, shape, decoded.weights);
		mkdirSync(args.out, {recursive: true});
		writeFileSync(join(args.out, 'model.json'), files.modelJson);
		writeFileSync(join(args.out, WEIGHTS_FILE), files.weightsBin);
		return {directory: args.out, ordinal: trial.ordinal, epoch: decoded.epoch, testAccuracy: trial.testAccuracy};
	} finally {
		await store.close();
	}
}

/**
 * `sweeplab export <sweep> --to results.db`: copy the sweep from --db into a SQLite file (created when missing; an
 * earlier copy of the same sweep there is replaced), where report, best and export --weights work as on the original
 * and its unfinished trials resume from their checkpoints.
 * @throws UsageError when --to is not a SQLite path or is the --db itself.
 */
export async function copySweep(args: ExportArgs & {to: string}): Promise<{trials: number; epochs: number; checkpoints: number}> {
	if (isPostgresUrl(args.to) || args.to === args.db) {
		throw new UsageError(`--to ${args.to}: name a SQLite file other than --db to copy the sweep into`);
	}

	const source = openForReport(args.db);
	try {
		const {sweep, trials, steps} = await readSweep(source, args.sweep, {db: showDb(args.db)});
		// Kept weights (export --weights works on the copy) and the checkpoints unfinished trials resume from.
		const checkpoints = await source.checkpoints(sweep.id);
		const target = openStore(args.to);
		try {
			await target.importSweep(sweep, trials, steps, checkpoints);
		} finally {
			await target.close();
		}

		return {trials: trials.length, epochs: steps.length, checkpoints: checkpoints.length};
	} finally {
		await source.close();
	}
}
