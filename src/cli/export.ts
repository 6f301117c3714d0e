import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import type {Argv} from 'yargs';
import {readSweep} from '../report/data.js';
import {exportSweep, toCsv} from '../report/export.js';
import {openForReport} from './best.js';
import {globalOptions, type GlobalArgs} from './common.js';

export const EXPORT_FORMATS = ['csv', 'json'] as const;

export interface ExportArgs extends GlobalArgs {
	sweep: string;
	format: (typeof EXPORT_FORMATS)[number];
	out?: string;
}

export function exportBuilder(yargs: Argv): Argv<ExportArgs> {
	return globalOptions(yargs)
		.positional('sweep', {type: 'string', demandOption: true, describe: 'Sweep name (see sweeplab status)'})
		.option('format', {choices: EXPORT_FORMATS, default: 'csv' as const, describe: 'csv: one row per epoch with its trial; json: trials with their epochs'})
		.option('out', {alias: 'o', type: 'string', describe: 'Write to this file instead of stdout'}) as unknown as Argv<ExportArgs>;
}

/** `sweeplab export <sweep>`: the sweep's trials and epochs as CSV or JSON text. */
export async function exportCommand(args: ExportArgs): Promise<string> {
	const store = openForReport(args.db);
	try {
		const {sweep, trials, epochs} = await readSweep(store, args.sweep, {db: args.db});
		const data = exportSweep(sweep, trials, epochs);
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
