import test from 'ava';
import {importanceMarkdown, importanceSection} from '../../src/report/importance-section.js';
import {sweepReadme} from '../../src/report/markdown.js';
import {tradeoff} from '../../src/report/ranking.js';
import type {SweepRecord} from '../../src/store/store.js';
import {DEFAULT_METRIC, DEFAULT_TRIAL_CONFIG, type ParameterSpec} from '../../src/types.js';
import {configRow, definition} from './helpers.js';

const LEARNING_RATES = [0.0001, 0.001, 0.01, 0.1];
const DROPOUTS = [0, 0.2, 0.5];

/** A sweep over `parameters` whose configs (one repeat each) reached these values; NaN: nothing finished. */
function sweepData(parameters: Record<string, ParameterSpec>, configs: Array<[Record<string, unknown>, number]>) {
	const sweep: SweepRecord = {id: 1, name: 'demo', definition: {...definition('demo'), repeats: 1, parameters}, definitionHash: 'h', source: 'name: demo\n', file: 'sweeps/demo.yaml', createdAt: '2026-12-01T00:00:00Z'};
	const rows = configs.map(([params, value], i) => ({...configRow(`c${i}`, [value], [10]), config: {...DEFAULT_TRIAL_CONFIG, ...params}}));
	return {sweep, result: tradeoff(rows)};
}

const grid = {learningRate: {kind: 'values', values: LEARNING_RATES}, dropout: {kind: 'values', values: DROPOUTS}} satisfies Record<string, ParameterSpec>;
// Accuracy set by the learning rate alone: dropout does nothing.
const byLearningRate = LEARNING_RATES.flatMap((learningRate, i) => DROPOUTS.map(dropout => [{learningRate, dropout}, 0.5 + (0.1 * i)] as [Record<string, unknown>, number]));

test('two or more finished configs: each varied parameter\'s share, the dominant one first, and the top pair', t => {
	const section = importanceSection(sweepData(grid, byLearningRate));
	if (section?.kind !== 'shares') {
		t.fail(`expected shares, got ${JSON.stringify(section)}`);
		return;
	}

	t.deepEqual(section.result.parameters.map(p => p.name), ['learningRate', 'dropout']);
	t.true(section.result.parameters[0].importance > 0.95, `${section.result.parameters[0].importance}`);
	t.true(section.result.parameters[1].importance < 0.02, `${section.result.parameters[1].importance}`);
	const text = importanceMarkdown(section, DEFAULT_METRIC)!;
	t.log(text);
	t.regex(text, /^## Which parameters matter\n\nEach swept parameter's share of the variance of validation accuracy over its 12 configs/);
	t.regex(text, /`sweeplab best demo --importance`/);
	t.regex(text, /\| parameter \| share of variance \| ± over trees \|\n\|---\|---:\|---:\|\n\| learningRate \| \d+\.\d% \| \d+\.\d% \|\n\| dropout \|/);
	t.regex(text, /strongest pairwise interaction.*: `dropout` × `learningRate`, \d+\.\d% of the variance\.$/);
});

test('fewer than two finished configs: the section says so, with the count', t => {
	const configs: Array<[Record<string, unknown>, number]> = [[{learningRate: 0.001, dropout: 0}, 0.8], [{learningRate: 0.01, dropout: 0}, Number.NaN]];
	const section = importanceSection(sweepData(grid, configs));
	t.like(section, {kind: 'too-few', configs: 1});
	t.regex(importanceMarkdown(section, {name: 'val_loss', goal: 'minimize'})!, /^## Which parameters matter\n\nToo few finished configs to say: .* needs at least two configs with a finished validation loss, and this sweep has 1\.$/);
	t.like(importanceSection(sweepData(grid, [])), {kind: 'too-few', configs: 0});
});

test('no parameter that varies: no section at all', t => {
	const fixed = {learningRate: {kind: 'values', values: [0.001]}} satisfies Record<string, ParameterSpec>;
	t.is(importanceSection(sweepData(fixed, [[{learningRate: 0.001}, 0.8]])), undefined);
	t.is(importanceSection(sweepData({}, [[{}, 0.8]])), undefined);
	t.is(importanceMarkdown(undefined, DEFAULT_METRIC), undefined);
});

test('the report places the section after the leaderboard and before the plots, and leaves it out when there is none', t => {
	const data = sweepData(grid, byLearningRate);
	const input = {...data, label: (config: Record<string, unknown>) => `lr=${String(config.learningRate)}`, trialCount: 12, states: {completed: 12}};
	const withSection = sweepReadme({...input, importance: importanceMarkdown(importanceSection(data), DEFAULT_METRIC)});
	const headings = [...withSection.matchAll(/^## (.+)$/gm)].map(match => match[1]);
	t.deepEqual(headings, ['Answer', 'Leaderboard', 'Which parameters matter', 'Plots', 'Sweep definition']);
	t.notRegex(sweepReadme(input), /Which parameters matter/);
});
