import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {canonicalJson, configHash, definitionHash, HASH_NEUTRAL_KEYS} from '../../src/sweep/hash.js';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';
import type {SweepDefinition, TrialConfig} from '../../src/types.js';

test('canonicalJson sorts keys at every level and keeps array order', (t) => {
	t.is(canonicalJson({b: 1, a: {d: [3, 1], c: 'x'}}), '{"a":{"c":"x","d":[3,1]},"b":1}');
	t.is(canonicalJson({a: {c: 'x', d: [3, 1]}, b: 1}), canonicalJson({b: 1, a: {d: [3, 1], c: 'x'}}));
	t.not(canonicalJson([1, 3]), canonicalJson([3, 1]));
});

test('canonicalJson drops undefined members as JSON does', (t) => {
	t.is(canonicalJson({a: 1, b: undefined}), '{"a":1}');
	t.is(canonicalJson([undefined, 1]), '[null,1]');
	t.is(canonicalJson('q"uote'), '"q\\"uote"');
});

/** A built-in sweep (no `program`): its configs are TrialConfigs. */
const builtin: Pick<SweepDefinition, 'program'> = {};

function reversedKeys(config: TrialConfig): TrialConfig {
	return Object.fromEntries(Object.entries(config).reverse()) as unknown as TrialConfig;
}

test('configHash is 16 hex chars and ignores key order', (t) => {
	const hash = configHash(DEFAULT_TRIAL_CONFIG, builtin);
	t.regex(hash, /^[0-9a-f]{16}$/);
	t.is(configHash(reversedKeys(DEFAULT_TRIAL_CONFIG), builtin), hash);
});

test('configHash changes with any value', (t) => {
	const hash = configHash(DEFAULT_TRIAL_CONFIG, builtin);
	t.not(configHash({...DEFAULT_TRIAL_CONFIG, learningRate: 0.01}, builtin), hash);
	t.not(configHash({...DEFAULT_TRIAL_CONFIG, hidden: [64]}, builtin), hash);
	t.not(configHash({...DEFAULT_TRIAL_CONFIG, hidden: [64, 64, 64]}, builtin), hash);
	t.not(configHash({...DEFAULT_TRIAL_CONFIG, batchNorm: true}, builtin), hash);
});

test('configHash is stable across releases (stored databases depend on it)', (t) => {
	// Pinned: changing canonicalJson or the hash silently breaks resuming sweeps recorded earlier.
	t.is(configHash(DEFAULT_TRIAL_CONFIG, builtin), '5696ce3493ae32a5');
});

const definition: SweepDefinition = {
	name: 'lr',
	question: 'Which learning rate?',
	method: 'grid',
	seed: 1,
	repeats: 1,
	dataset: {name: 'fashion-mnist', validation: 0.1},
	base: DEFAULT_TRIAL_CONFIG,
	parameters: {learningRate: {kind: 'values', values: [0.001, 0.01]}},
};

test('definitionHash ignores the question and key order but not the content', (t) => {
	const hash = definitionHash(definition);
	t.regex(hash, /^[0-9a-f]{16}$/);
	t.is(definitionHash({...definition, question: 'Something else entirely?'}), hash);
	const {question: _question, ...withoutQuestion} = definition;
	t.is(definitionHash(withoutQuestion), hash);
	const reordered = Object.fromEntries(Object.entries({...definition, base: reversedKeys(DEFAULT_TRIAL_CONFIG)}).reverse()) as unknown as SweepDefinition;
	t.is(definitionHash(reordered), hash);
	t.not(definitionHash({...definition, seed: 2}), hash);
	t.not(definitionHash({...definition, parameters: {learningRate: {kind: 'values', values: [0.01, 0.001]}}}), hash);
});

interface StoredBeforeFeatures {
	configs: Array<{sweep: string; config: Partial<TrialConfig>; configHash: string}>;
	sweeps: Array<{name: string; definition: SweepDefinition; definitionHash: string}>;
}

test('configs and sweeps stored before the training features keep their hashes (the new keys at their defaults are left out)', t => {
	// Copied from the study's database: one config of each sweep, and three whole definitions, as stored then.
	const stored = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/store/stored-before-features.json', import.meta.url)), 'utf8')) as StoredBeforeFeatures;
	t.true(stored.configs.length >= 9);
	for (const {sweep, config, configHash: hash} of stored.configs) {
		t.false('standardize' in config, 'stored before the key existed');
		// As the store reads it back, and as the trainer reads it (builtinConfig: the missing keys at their defaults).
		t.is(configHash(config, builtin), hash, sweep);
		t.is(configHash({...DEFAULT_TRIAL_CONFIG, ...config}, builtin), hash, sweep);
	}

	for (const {name, definition, definitionHash: hash} of stored.sweeps) {
		t.is(definitionHash(definition), hash, name);
		t.is(definitionHash({...definition, base: {...DEFAULT_TRIAL_CONFIG, ...definition.base}}), hash, name);
	}
});

test('each training feature away from its default changes the config hash', t => {
	const hash = configHash(DEFAULT_TRIAL_CONFIG, builtin);
	const changed: Array<Partial<TrialConfig>> = [
		{standardize: 'global'},
		{standardize: 'per-pixel'},
		{lrSchedule: {kind: 'cosine', warmupEpochs: 0}},
		{lrSchedule: {kind: 'cosine', warmupEpochs: 1}},
		{weightDecay: 0.01},
		{weightDecayMode: 'l2'},
		{labelSmoothing: 0.1},
		{augment: {translate: 0, flip: true}},
		{globalPool: true},
	];
	const hashes = changed.map(overrides => configHash({...DEFAULT_TRIAL_CONFIG, ...overrides}, builtin));
	t.false(hashes.includes(hash));
	t.is(new Set(hashes).size, hashes.length);
	t.not(definitionHash({...definition, base: {...DEFAULT_TRIAL_CONFIG, labelSmoothing: 0.1}}), definitionHash(definition));
});

test('a program sweep\'s params hash as they are: names that match a built-in key at its default still count', t => {
	const program: Pick<SweepDefinition, 'program'> = {program: {command: ['python3', 'train.py']}};
	const params = {lr: 0.01, weightDecay: 0, globalPool: false, standardize: 'none'};
	const without = {lr: 0.01};
	t.not(configHash(params, program), configHash(without, program));
	t.is(configHash(params, program), configHash(Object.fromEntries(Object.entries(params).reverse()), program));
	// The same params as a built-in config would lose the keys at their defaults: the two kinds differ on purpose.
	t.true(HASH_NEUTRAL_KEYS.includes('weightDecay'));
	t.is(configHash({...DEFAULT_TRIAL_CONFIG, weightDecay: 0}, builtin), configHash(DEFAULT_TRIAL_CONFIG, builtin));
	const programDefinition: SweepDefinition = {name: 'p', method: 'grid', seed: 1, repeats: 1, metric: {name: 'score', goal: 'maximize'}, ...program, base: params, parameters: {}};
	t.not(definitionHash(programDefinition), definitionHash({...programDefinition, base: without}));
	t.is(definitionHash({...programDefinition, checkpoint: false, keepBestWeights: true}), definitionHash(programDefinition));
});
