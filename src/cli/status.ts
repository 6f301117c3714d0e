import type {Argv} from 'yargs';
import type {SweepStatus} from '../store/store.js';
import {globalOptions, type GlobalArgs, openStore} from './common.js';

export type StatusArgs = GlobalArgs & {json: boolean};

export function statusBuilder(yargs: Argv): Argv<StatusArgs> {
	return globalOptions(yargs).option('json', {type: 'boolean', default: false, describe: 'Print as JSON'});
}

/** `sweeplab status`: every sweep in the database with its trial counts per state. */
export async function statusCommand(args: StatusArgs): Promise<SweepStatus[]> {
	const store = openStore(args.db, {readonly: true});
	try {
		return await store.listSweeps();
	} finally {
		await store.close();
	}
}
