import {readdirSync, readFileSync} from 'node:fs';
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {SweepFileError} from '../../src/errors.js';
import {expandSweep} from '../../src/sweep/expand.js';
import {definitionHash} from '../../src/sweep/hash.js';
import {readSweepFile, parseSweep} from '../../src/sweep/read.js';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/sweeps/', import.meta.url));
const badDir = join(fixtures, 'bad');
const goodDir = join(fixtures, 'good');

interface Expectation {
	keyPath: string;
	pattern: RegExp;
}

async function expectationOf(file: string): Promise<Expectation> {
	const expectFile = file.endsWith('.json') ? file.replace(/\.json$/, '.expect') : file;
	const firstLine = (await readFile(expectFile, 'utf8')).split('\n')[0];
	const match = /^# expect: (\S+) (.+)$/.exec(firstLine);
	if (match === null) {
		throw new Error(`${expectFile}: first line must be "# expect: <key path> <regex>", got ${JSON.stringify(firstLine)}`);
	}
	return {keyPath: match[1], pattern: new RegExp(match[2])};
}

// Synchronous: ava needs every test declared before the first await.
const badFiles = readdirSync(badDir).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();

test('the malformed corpus holds at least 30 files', (t) => {
	t.true(badFiles.length >= 30, `${badFiles.length} files`);
});

for (const name of badFiles) {
	test(`bad/${name} is rejected with its expected one-line message`, async (t) => {
		const file = join(badDir, name);
		const {keyPath, pattern} = await expectationOf(file);
		const error = await t.throwsAsync(readSweepFile(file), {instanceOf: SweepFileError});
		if (error === undefined) {
			return;
		}
		t.is(error.code, 'sweep-file');
		t.false(error.message.includes('\n'), error.message);
		t.true(error.message.startsWith(`${file}`), error.message);
		// The key path (or line:column) follows the file name, as "<file>: <path>:" or "<file>:<line>:<col>:".
		t.true(error.message.startsWith(`${file}: ${keyPath}: `) || error.message.startsWith(`${file}:${keyPath}: `), error.message);
		t.regex(error.message, pattern);
	});
}

const goodFiles = readdirSync(goodDir).sort();

for (const name of goodFiles) {
	test(`good/${name} loads and expands`, async (t) => {
		const file = join(goodDir, name);
		const {definition, source} = await readSweepFile(file);
		t.is(source, await readFile(file, 'utf8'));
		t.regex(definition.name, /^[a-z-]+$/);
		// A tpe sweep has no trials up front: the run loop asks the sampler for each.
		t.is(expandSweep(definition).length >= 1, definition.method !== 'tpe');
	});
}

test('a loaded grid file has its defaults filled in and its parameters normalised', async (t) => {
	const {definition} = await readSweepFile(join(goodDir, 'learning-rate.yaml'));
	t.deepEqual(definition, {
		name: 'learning-rate',
		question: 'How does the learning rate change accuracy and convergence?',
		method: 'grid',
		seed: 42,
		repeats: 2,
		dataset: {name: 'fashion-mnist', trainLimit: 60_000, testLimit: 10_000, validation: 0.1},
		base: {...DEFAULT_TRIAL_CONFIG, epochs: 25},
		parameters: {learningRate: {kind: 'values', values: [0.000_01, 0.0001, 0.001, 0.01, 0.1]}},
	});
	t.is(expandSweep(definition).length, 10);
});

test('a random file normalises lists, choices and distributions', async (t) => {
	const {definition} = await readSweepFile(join(goodDir, 'random-search.yml'));
	t.is(definition.trials, 20);
	t.is(definition.seed, 7);
	t.is(definition.dataset?.validation, 'test');
	t.deepEqual(definition.parameters, {
		learningRate: {kind: 'log-uniform', min: 1e-5, max: 0.1},
		hidden: {kind: 'values', values: [[64], [128], [64, 64]]},
		batchSize: {kind: 'int-uniform', min: 16, max: 256},
		epochs: {kind: 'log-int-uniform', min: 1, max: 8},
		dropout: {kind: 'uniform', min: 0, max: 0.5},
		activation: {kind: 'values', values: ['relu', 'tanh', 'gelu']},
	});
});

test('defaults: seed 0, one repeat, validation 0.1, no trials, empty parameters', async (t) => {
	const {definition} = await readSweepFile(join(goodDir, 'minimal.yaml'));
	t.is(definition.seed, 0);
	t.is(definition.repeats, 1);
	t.is(definition.trials, undefined);
	t.false('question' in definition);
	t.deepEqual(definition.dataset, {name: 'fashion-mnist-mini', validation: 0.1});
	t.deepEqual(definition.base, DEFAULT_TRIAL_CONFIG);
	t.not(definition.base, DEFAULT_TRIAL_CONFIG, 'the shared defaults must not be handed out for mutation');
	t.deepEqual(definition.parameters, {});
});

test('the same content parses the same from YAML and JSON', (t) => {
	const yaml = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\nbase: {hidden: [32]}\nparameters:\n  batchSize: [16, 32]\n';
	const json = JSON.stringify({name: 'x', method: 'grid', dataset: {name: 'fashion-mnist'}, base: {hidden: [32]}, parameters: {batchSize: [16, 32]}});
	t.deepEqual(parseSweep(yaml, 'x.yaml'), parseSweep(json, 'x.json'));
	t.deepEqual(parseSweep(json, 'no-extension', 'json'), parseSweep(yaml, 'no-extension'));
});

test('several problems: the first is reported with a count of the rest', (t) => {
	const text = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\nbase: {epochs: 0, batchSize: 0}\n';
	t.throws(() => parseSweep(text, 'two.yaml'), {instanceOf: SweepFileError, message: /^two\.yaml: base\.epochs: .*\(\+1 more problem\)$/});
});

test('a misspelled required key is reported as the misspelling, not as a missing key', (t) => {
	const text = 'name: x\nmehtod: grid\ndataset: {name: fashion-mnist}\n';
	t.throws(() => parseSweep(text, 's.yaml'), {message: /^s\.yaml: mehtod: unknown key \(did you mean "method"\?\) \(\+1 more problem\)$/});
});

test('snake_case and aliases from other tools get a suggestion', (t) => {
	const base = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\n';
	t.throws(() => parseSweep(`${base}base: {learning_rate: 0.1}\n`, 's.yaml'), {message: /base\.learning_rate: unknown key \(did you mean "learningRate"\?\)/});
	t.throws(() => parseSweep(`${base}base: {batch_size: 8}\n`, 's.yaml'), {message: /did you mean "batchSize"/});
	t.throws(() => parseSweep(`${base}params: {epochs: [1, 2]}\n`, 's.yaml'), {message: /params: unknown key \(did you mean "parameters"\?\)/});
});

test('a grid that can be a cnn accepts conv and kernelSize', (t) => {
	const text = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\nbase: {conv: [8]}\nparameters: {model: [mlp, cnn], kernelSize: [3, 5]}\n';
	t.is(expandSweep(parseSweep(text, 'cnn.yaml')).length, 4);
});

test('a grid at the size limit passes and one beyond it fails', (t) => {
	const list = (n: number) => `[${Array.from({length: n}, (_, i) => i + 1).join(', ')}]`;
	const head = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\n';
	// 1000 x 100 = 100000 configs: exactly the limit.
	t.notThrows(() => parseSweep(`${head}parameters: {epochs: ${list(1000)}, batchSize: ${list(100)}}\n`, 'g.yaml'));
	t.throws(() => parseSweep(`${head}repeats: 2\nparameters: {epochs: ${list(1000)}, batchSize: ${list(100)}}\n`, 'g.yaml'), {
		message: /parameters: the grid expands to 200000 trials \(100000 configs x 2 repeats\)/,
	});
});

test('a missing file, a directory and an unknown extension are SweepFileErrors naming the path', async (t) => {
	const dir = await mkdtemp(join(tmpdir(), 'sweeplab-load-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	const missing = join(dir, 'nope.yaml');
	await t.throwsAsync(readSweepFile(missing), {instanceOf: SweepFileError, message: new RegExp(`^${escape(missing)}: cannot read the sweep file: no such file`)});
	const directory = join(dir, 'folder.yaml');
	await mkdir(directory);
	await t.throwsAsync(readSweepFile(directory), {instanceOf: SweepFileError, message: /is a directory/});
	const text = join(dir, 'sweep.txt');
	await writeFile(text, 'name: x\n');
	await t.throwsAsync(readSweepFile(text), {instanceOf: SweepFileError, message: /sweep\.txt: unsupported extension "\.txt" \(sweep files end in \.yaml, \.yml or \.json\)/});
});

test('an unreadable file is a SweepFileError', async (t) => {
	if (process.getuid?.() === 0) {
		t.pass('root can read any file; nothing to test');
		return;
	}
	const dir = await mkdtemp(join(tmpdir(), 'sweeplab-load-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	const file = join(dir, 'locked.yaml');
	await writeFile(file, 'name: x\n');
	await chmod(file, 0o000);
	await t.throwsAsync(readSweepFile(file), {instanceOf: SweepFileError, message: /permission denied/});
});

test('a byte-order mark does not break YAML or JSON', (t) => {
	const json = '\uFEFF{"name": "x", "method": "grid", "dataset": {"name": "fashion-mnist"}}';
	t.is(parseSweep(json, 'bom.json').name, 'x');
	t.is(parseSweep('\uFEFFname: x\nmethod: grid\ndataset: {name: fashion-mnist}\n', 'bom.yaml').name, 'x');
});

function escape(text: string): string {
	return text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`);
}

test('the training features load with their defaults filled in', (t) => {
	const definition = parseSweep(readFileSync(join(goodDir, 'training-features.yaml'), 'utf8'), 'training-features.yaml');
	t.like(definition.base, {standardize: 'per-pixel', weightDecay: 0.0005, weightDecayMode: 'l2', labelSmoothing: 0.1, augment: {translate: 2, flip: true}, globalPool: true});
	t.deepEqual(definition.parameters.lrSchedule, {kind: 'values', values: [
		null,
		{kind: 'cosine', warmupEpochs: 0},
		{kind: 'cosine', warmupEpochs: 1},
		{kind: 'step', stepEpochs: 5, gamma: 0.1},
		{kind: 'plateau', patience: 2, factor: 0.1, minLr: 0},
	]});
	// `cosine` and {kind: cosine} are one value: listing both is a duplicate.
	t.throws(() => parseSweep('name: x\nmethod: grid\ndataset: {name: fashion-mnist-mini}\nparameters:\n  lrSchedule: [cosine, {kind: cosine}]\n', 'x.yaml'), {message: /parameters\.lrSchedule\[1\]: duplicate value/});
	const defaults = parseSweep('name: x\nmethod: grid\ndataset: {name: fashion-mnist-mini}\nbase:\n  augment: {flip: true}\n', 'x.yaml').base;
	t.like(defaults, {standardize: 'none', lrSchedule: null, weightDecay: 0, weightDecayMode: 'decoupled', labelSmoothing: 0, augment: {translate: 0, flip: true}, globalPool: false});
});

test('globalPool: false on an mlp is accepted (it is every mlp\'s value); true is refused', (t) => {
	const head = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist-mini}\n';
	t.notThrows(() => parseSweep(`${head}base: {globalPool: false}\n`, 'x.yaml'));
	t.notThrows(() => parseSweep(`${head}parameters: {globalPool: [false]}\n`, 'x.yaml'));
	t.throws(() => parseSweep(`${head}parameters: {globalPool: [false, true]}\n`, 'x.yaml'), {message: /parameters\.globalPool: globalPool applies to model: cnn only/});
});

test('checkpoint and keepBestWeights: policies, false, and one-line problems; neither changes the definition hash', (t) => {
	const base = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\n';
	t.deepEqual(parseSweep(`${base}checkpoint: {everyEpochs: 2}\n`, 's.yaml').checkpoint, {everyEpochs: 2});
	t.deepEqual(parseSweep(`${base}checkpoint: {everySeconds: 60, everyEpochs: 5}\n`, 's.yaml').checkpoint, {everySeconds: 60, everyEpochs: 5});
	t.is(parseSweep(`${base}checkpoint: false\n`, 's.yaml').checkpoint, false);
	t.is(parseSweep(base, 's.yaml').checkpoint, undefined);
	t.is(parseSweep(`${base}keepBestWeights: true\n`, 's.yaml').keepBestWeights, true);
	t.throws(() => parseSweep(`${base}checkpoint: {everyEpochs: 0}\n`, 's.yaml'), {message: /^s\.yaml: checkpoint\.everyEpochs: /});
	t.throws(() => parseSweep(`${base}checkpoint: {everySeconds: -1}\n`, 's.yaml'), {message: /^s\.yaml: checkpoint\.everySeconds: must be a number of seconds from 0 to 86400/});
	t.throws(() => parseSweep(`${base}checkpoint: {}\n`, 's.yaml'), {message: /^s\.yaml: checkpoint: give everyEpochs, everySeconds or both/});
	t.throws(() => parseSweep(`${base}checkpoint: {everyEpoch: 1}\n`, 's.yaml'), {message: /^s\.yaml: checkpoint\.everyEpoch: unknown key/});
	t.throws(() => parseSweep(`${base}checkpoint: true\n`, 's.yaml'), {message: /^s\.yaml: checkpoint: .*false, or a mapping such as \{everyEpochs: 1\}/});
	t.throws(() => parseSweep(`${base}keepBestWeights: yes please\n`, 's.yaml'), {message: /^s\.yaml: keepBestWeights: /});
	const plain = parseSweep(base, 's.yaml');
	const policies = parseSweep(`${base}checkpoint: {everyEpochs: 1}\nkeepBestWeights: true\n`, 's.yaml');
	t.is(definitionHash(policies), definitionHash(plain));
});

test('earlyStopping.minDelta takes an absolute amount or a percentage of the best value, kept as written', (t) => {
	const text = 'name: x\nmethod: grid\ndataset: {name: fashion-mnist}\nbase: {earlyStopping: {monitor: val_loss, minDelta: 1%}}\nparameters:\n  earlyStopping: [{minDelta: 0.5%}, {minDelta: 0.002}, {minDelta: .25%}]\n';
	const definition = parseSweep(text, 'x.yaml');
	const minDelta = (config: unknown) => (config as {earlyStopping: {minDelta: unknown}}).earlyStopping.minDelta;
	t.is(minDelta(definition.base), '1%');
	t.deepEqual(expandSweep(definition).map(spec => minDelta(spec.config)), ['0.5%', 0.002, '.25%']);
});

test('checkpoint: a module objective takes the policy; a program command is told it checkpoints on its own', (t) => {
	const head = 'name: x\nmethod: grid\nmetric: {name: loss, goal: minimize}\nparameters: {lr: [1, 2]}\n';
	const module = `${head}program: {module: ./objective.js}\n`;
	t.deepEqual(parseSweep(`${module}checkpoint: {everyEpochs: 1}\n`, 's.yaml').checkpoint, {everyEpochs: 1});
	t.is(parseSweep(`${module}checkpoint: false\n`, 's.yaml').checkpoint, false);
	t.throws(() => parseSweep(`${module}checkpoint: {everyEpochs: 0}\n`, 's.yaml'), {message: /^s\.yaml: checkpoint\.everyEpochs: /});
	t.throws(() => parseSweep(`${head}program: {command: [python3, t.py]}\ncheckpoint: {everyEpochs: 1}\n`, 's.yaml'), {message: /^s\.yaml: checkpoint: a program command checkpoints on its own, into \$SWEEPLAB_CHECKPOINT_DIR/});
	t.throws(() => parseSweep(`${module}keepBestWeights: true\n`, 's.yaml'), {message: /^s\.yaml: keepBestWeights: unknown key/});
});
