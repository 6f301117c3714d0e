/**
 * Writes the sweep file that retrains the most accurate config of a finished sweep with repeats, so its
 * accuracy is known with a spread: `node dist/scripts/retrain-sweep.js --db reports/study.db --from best
 * --out sweeps/best-retrain.yaml [--repeats 3] [--epochs 20] [--name best-retrain]`. With --name (a second retrain of the
 * same winner, say for as many epochs as the search trained it) the question names the epochs.
 */
import {writeFileSync} from 'node:fs';
import {isDeepStrictEqual} from 'node:util';
import {stringify} from 'yaml';
import {openStore} from '../src/cli/common.js';
import {rankSweep} from '../src/report/data.js';
import {HASH_NEUTRAL_KEYS} from '../src/sweep/hash.js';
import {builtinConfig, DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../src/types.js';

const option = (name: string, fallback?: string): string => {
	const index = process.argv.indexOf(`--${name}`);
	const value = index < 0 ? fallback : process.argv[index + 1];
	if (value === undefined) {
		throw new Error(`retrain-sweep: --${name} is required`);
	}

	return value;
};

const from = option('from');
const store = openStore(option('db'), {readonly: true});
try {
	const {sweep, result, label} = await rankSweep(store, from, {});
	const winner = result.mostAccurate;
	if (!winner) {
		throw new Error(`retrain-sweep: sweep '${from}' has no completed trial to retrain`);
	}

	// Trained to the end (no early stopping); the conv keys only where they apply (the schema refuses them on an mlp).
	const {earlyStopping: _earlyStopping, conv, kernelSize, globalPool, ...rest} = builtinConfig(winner.config);
	const config: Partial<TrialConfig> = rest.model === 'cnn' ? {...rest, conv, kernelSize, globalPool} : rest;
	// The training features at their defaults are left out, as they were before the keys existed.
	for (const key of HASH_NEUTRAL_KEYS) {
		if (isDeepStrictEqual(config[key], DEFAULT_TRIAL_CONFIG[key])) {
			delete config[key];
		}
	}

	const epochs = Number(option('epochs', '20'));
	const named = process.argv.includes('--name');
	const searched = (sweep.definition.base as Partial<TrialConfig>).epochs;
	const file = {
		name: option('name', `${from}-retrain`),
		question: `How accurate is the winner of '${from}' (${label(winner.config)}) over several seeds, ${named ? `trained for ${epochs === searched ? `the ${epochs} epochs of the search` : `${epochs} epochs`}` : 'trained to the end'}?`,
		method: 'grid',
		seed: sweep.definition.seed + 1,
		repeats: Number(option('repeats', '3')),
		dataset: sweep.definition.dataset,
		base: {...config, epochs},
	};
	const header = `# Written by scripts/retrain-sweep.ts from the most accurate config of sweep '${from}'\n# (validation accuracy ${(winner.value.mean * 100).toFixed(2)}%); scripts/study.sh or scripts/beyond.sh writes it again when it runs.\n`;
	writeFileSync(option('out'), header + stringify(file, {flow: false}));
	console.log(`wrote ${option('out')}: ${label(winner.config)}`);
} finally {
	await store.close();
}
