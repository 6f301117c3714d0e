import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import type {Argv} from 'yargs';
import {readSweep} from '../report/data.js';
import {exportSweep, toCsv} from '../report/export.js';
import {openForReport} from './best.js';
import {UsageError} from '../errors.js';
import {isPostgresUrl} from '../store/postgres.js';
import {globalOptions, type GlobalArgs, openStore, showDb} from './common.js';

export const EXPORT_FORMATS = ['csv', 'json'] as const;

export interface ExportArgs extends GlobalArgs {
	sweep: string;
	format: (typeof EXPORT_FORMATS)[number];
	out?: string;
	to?: string;
}

export function exportBuilder(yargs: Argv): Argv<ExportArgs> {
	return globalOptions(yargs)
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Sweep name (see sweeplab status)'})
		.option('format', {choices: EXPORT_FORMATS, default: 'csv' as const, describe: 'csv: one row per epoch with its trial; json: trials with their epochs'})
		.option('out', {alias: 'o', type: 'string', describe: 'Write to this file instead of stdout'})
		.option('to', {type: 'string', describe: 'Copy the sweep (trials, epochs, hosts) into this SQLite file instead, e.g. from PostgreSQL to take home', conflicts: ['out']}) as unknown as Argv<ExportArgs>;
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
 * `sweeplab export <sweep> --to results.db`: copy the sweep from --db into a SQLite file (created when missing; an
 * earlier copy of the same sweep there is replaced), where report and best work as on the original.
 * @throws UsageError when --to is not a SQLite path or is the --db itself.
 */
export async function copySweep(args: ExportArgs & {to: string}): Promise<{trials: number; epochs: number}> {
	if (isPostgresUrl(args.to) || args.to === args.db) {
		throw new UsageError(`--to ${args.to}: name a SQLite file other than --db to copy the sweep into`);
	}

	const source = openForReport(args.db);
	try {
		const {sweep, trials, steps} = await readSweep(source, args.sweep, {db: showDb(args.db)});
		const target = openStore(args.to);
		try {
			await target.importSweep(sweep, trials, steps);
		} finally {
			await target.close();
		}

		return {trials: trials.length, epochs: steps.length};
	} finally {
		await source.close();
	}
}
