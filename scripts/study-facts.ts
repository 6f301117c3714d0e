/**
 * The numbers the study's narrative (reports/answers.md, written by hand) quotes, printed from the database so
 * that every figure in it can be copied, not remembered: per sweep its trials, training paths, wall time and
 * leaderboard (the cells the reports print, test accuracy beside the validation accuracy of the same weights);
 * then the study-wide facts the answers compare: the most accurate MLP and CNN by validation, their parameter
 * counts, and seconds per epoch of the seed MLP and the CNN on the same training path.
 *
 *   node dist/scripts/study-facts.js --db reports/study.db [--sweeps learning-rate,cnn] > /tmp/facts.md
 */
import {parseArgs} from 'node:util';
import {openStore} from '../src/cli/common.js';
import {readSweep, type SweepData} from '../src/report/data.js';
import {LEADERBOARD_ALIGN, leaderboardCells, leaderboardHead, percentSpread} from '../src/report/format.js';
import {markdownTable} from '../src/report/markdown.js';
import type {RankedRow} from '../src/report/ranking.js';
import {trainingPathOfRecord} from '../src/train/trainer.js';
import {builtinConfig} from '../src/types.js';

const {values} = parseArgs({options: {db: {type: 'string', default: 'reports/study.db'}, sweeps: {type: 'string'}}});
let store: ReturnType<typeof openStore>;
try {
	store = openStore(values.db!, {readonly: true});
} catch (error) {
	// An older schema, a file that is not a database: one line, as the CLI prints a StoreError.
	console.error(`study-facts: ${(error as Error).message}`);
	process.exit(1);
}


/** `12.3 ± 0.4` with the given digits, the std left out for one value or none. */
const plain = (mean: number, std: number, n: number, digits: number) => (n > 1 && std > 0 ? `${mean.toFixed(digits)} ± ${std.toFixed(digits)}` : mean.toFixed(digits));
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

interface Candidate {
	sweep: string;
	row: RankedRow;
	data: SweepData;
}

try {
	const wanted = values.sweeps?.split(',');
	const statuses = (await store.listSweeps()).filter(status => !wanted || wanted.includes(status.sweep.name));
	const lines: string[] = [`# Facts of ${values.db}`, ''];
	const candidates: Candidate[] = [];
	let trainedMs = 0;
	for (const {sweep, counts} of statuses) {
		const data = await readSweep(store, sweep.name, {db: values.db});
		const {trials, result, label} = data;
		const paths = [...new Set(trials.map(trial => trial.trainingPath ?? 'not started'))].join(', ');
		const started = trials.flatMap(trial => (trial.startedAt ? [Date.parse(trial.startedAt)] : []));
		const finished = trials.flatMap(trial => (trial.finishedAt ? [Date.parse(trial.finishedAt)] : []));
		const wall = started.length > 0 && finished.length > 0 ? Math.max(...finished) - Math.min(...started) : 0;
		trainedMs += wall;
		const states = Object.entries(counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ');
		lines.push(
			`## ${sweep.name}`,
			'',
			`${sweep.definition.question ?? ''}`,
			'',
			`${trials.length} trials (${states}); training path: ${paths}; wall time from the first start to the last finish: ${minutes(wall)}; sum of training seconds: ${trials.reduce((sum, trial) => sum + (trial.trainSeconds ?? 0), 0).toFixed(0)} s.`,
			'',
			markdownTable(leaderboardHead(result.metric), result.rows.map(row => leaderboardCells(row, label, result.metric)), LEADERBOARD_ALIGN),
			'',
		);
		candidates.push(...result.rows.filter(row => row.rank !== null).map(row => ({sweep: sweep.name, row, data})));
	}

	const describe = ({sweep, row, data}: Candidate) => [
		`\`${sweep}\` \`${data.label(row.config)}\` (${row.paramCount?.toLocaleString('en-US') ?? '?'} parameters):`,
		`validation ${percentSpread(row.value)} at epoch ${plain(row.bestEpoch.mean, row.bestEpoch.std, row.bestEpoch.n, 1)};`,
		`test ${percentSpread(row.testAccuracy)} with validation ${percentSpread(row.testedValue)} of the same weights (epoch ${plain(row.testedEpoch.mean, row.testedEpoch.std, row.testedEpoch.n, 1)});`,
		`${plain(row.trainSeconds.mean, row.trainSeconds.std, row.trainSeconds.n, 1)} s training, ${plain(row.secondsPerEpoch.mean, row.secondsPerEpoch.std, row.secondsPerEpoch.n, 2)} s an epoch, ${row.value.n} completed trial${row.value.n === 1 ? '' : 's'}`,
	].join(' ');
	lines.push('## Across the sweeps', '');
	for (const model of ['mlp', 'cnn']) {
		const of = candidates.filter(candidate => candidate.data.metric.name === 'val_accuracy' && builtinConfig(candidate.row.config).model === model);
		const byValidation = [...of].sort((a, b) => b.row.value.mean - a.row.value.mean)[0];
		if (byValidation) {
			lines.push(`- Most accurate ${model.toUpperCase()} by mean validation accuracy (the selection rule): ${describe(byValidation)}.`);
		}
	}

	// The CNN's cost against the seed MLP's, on the same path: seconds per epoch of every config with 15 epochs at batch 32.
	const perEpoch = (model: string) => candidates.filter(({row}) => {
		const config = builtinConfig(row.config);
		return config.model === model && config.batchSize === 32 && String(config.hidden) === '64,64' && config.dropout === 0 && !config.batchNorm && config.learningRate === 0.001 && config.activation === 'relu';
	});
	for (const [cnn, mlp] of perEpoch('cnn').flatMap(cnn => perEpoch('mlp').map(mlp => [cnn, mlp] as const))) {
		// The path alone: a CNN's record adds its convolutions' algorithms (recordedTrainingPath).
		const pathOf = (data: SweepData, hash: string) => {
			const recorded = data.trials.find(trial => trial.configHash === hash)?.trainingPath;
			return recorded ? trainingPathOfRecord(recorded) : undefined;
		};
		const samePath = pathOf(cnn.data, cnn.row.configHash) === pathOf(mlp.data, mlp.row.configHash);
		lines.push(`- Seconds per epoch, \`${cnn.sweep}\` CNN against \`${mlp.sweep}\` seed MLP: ${cnn.row.secondsPerEpoch.mean.toFixed(2)} / ${mlp.row.secondsPerEpoch.mean.toFixed(2)} = ${(cnn.row.secondsPerEpoch.mean / mlp.row.secondsPerEpoch.mean).toFixed(1)}x${samePath ? '' : ' (NOT the same training path)'}; parameters ${cnn.row.paramCount?.toLocaleString('en-US')} against ${mlp.row.paramCount?.toLocaleString('en-US')}.`);
	}

	lines.push(`- Sum of the sweeps' wall times (first start to last finish each): ${minutes(trainedMs)}.`);
	console.log(lines.join('\n'));
} finally {
	await store.close();
}
