import {getDatasetEntry} from '../data/registry.js';
import {SweepFileError} from '../errors.js';
import {findOversizedConfig, MAX_PARAMS, type ModelShape} from '../train/model.js';
import {expandSweepWithStats} from '../sweep/expand.js';
import {readSweepFile} from '../sweep/read.js';
import {describeConfig, sweptKeys} from '../sweep/describe.js';
import type {SweepDefinition, TrialConfig, TrialSpec} from '../types.js';

export interface SweepInput {
	definition: SweepDefinition;
	source: string;
	specs: TrialSpec[];
	duplicatesSkipped: number;
	/** The built-in trainer's model shape; undefined for program sweeps. */
	shape?: ModelShape;
}

/**
 * A sweep file read, validated, expanded and checked against what a worker can train, before anything is
 * stored: what `run` and `plan` both start from.
 * @throws SweepFileError for any problem of the file, including a network over MAX_PARAMS parameters.
 */
export async function loadSweepInput(file: string): Promise<SweepInput> {
	const {definition, source} = await readSweepFile(file);
	const {specs, duplicatesSkipped} = expandSweepWithStats(definition);
	if (definition.program) {
		return {definition, source, specs, duplicatesSkipped};
	}

	const entry = getDatasetEntry(definition.dataset!.name);
	const shape: ModelShape = {imageShape: [...entry.imageShape], numClasses: entry.numClasses};
	const oversized = findOversizedConfig(specs as Array<TrialSpec & {config: TrialConfig}>, shape);
	if (oversized) {
		throw new SweepFileError(`${file}: trial #${oversized.item.ordinal} (${describeConfig(oversized.item.config, sweptKeys(definition), definition.parameters)}): the network has ${oversized.params.toLocaleString('en-US')} parameters, over the limit of ${MAX_PARAMS.toLocaleString('en-US')} (use fewer or narrower hidden layers)`);
	}

	return {definition, source, specs, duplicatesSkipped, shape};
}
