/**
 * A multi-objective sweep's charts as Vega-Lite specs: its configs on the first two objectives with the front and
 * its knee, and the hypervolume of the front over trials. Rendered to SVG by chart-common.ts's renderSvg.
 */
import type {TopLevelSpec} from 'vega-lite';
import type {MetricSpec, TrialParams} from '../types.js';
import {font, round, SCHEMA, TITLE} from './chart-common.js';
import {isFraction} from './format.js';
import {HYPERVOLUME_REFERENCE, type ObjectiveFront} from './front.js';

/** The SVG files of a multi-objective sweep's report, beside plots.ts's. */
export const FRONT_PLOT_FILES = {front: 'pareto-front.svg', hypervolume: 'hypervolume.svg'} as const;

/** An objective's axis: accuracy-like metrics in percent, which way is better in the title. */
function axis(objective: MetricSpec): {factor: number; title: string} {
	const unit = isFraction(objective) ? ' (%)' : objective.name.endsWith('seconds') || objective.name === 'seconds_per_epoch' ? ' (s)' : '';
	return {factor: isFraction(objective) ? 100 : 1, title: `${objective.name}${unit}, ${objective.goal === 'maximize' ? 'higher' : 'lower'} is better`};
}

/**
 * Each config with values on the first objective (y) against the second (x), the front in red joined in the order
 * of x, the knee labelled. With a third objective, the points' size shows it (larger is worse) and the front is
 * not joined (it is a surface, not a line).
 */
export function frontSpec(front: ObjectiveFront, configs: ReadonlyMap<string, TrialParams>, label: (config: TrialParams) => string): TopLevelSpec {
	const [first, second, third] = front.objectives;
	const [ya, xa] = [axis(first), axis(second)];
	const values = front.points
		.filter(point => point.rank !== null)
		.map(point => ({
			config: label(configs.get(point.configHash) ?? {}),
			y: round(point.values[0] * ya.factor),
			x: round(point.values[1] * xa.factor),
			...(third && {z: round(point.values[2])}),
			group: point.rank === 1 ? 'Pareto front' : 'dominated',
			rank: point.rank,
			knee: point.configHash === front.knee,
		}));
	const groups = ([['Pareto front', '#e45756'], ['dominated', '#4c78a8']] as const).filter(([group]) => values.some(value => value.group === group));
	const x = {field: 'x', type: 'quantitative' as const, title: xa.title, scale: {zero: false, nice: true}};
	const y = {field: 'y', type: 'quantitative' as const, title: ya.title, scale: {zero: false, nice: true}};
	const tooltip = [{field: 'config'}, {field: 'rank', title: 'front rank'}, {field: 'y', title: first.name}, {field: 'x', title: second.name}, ...(third ? [{field: 'z', title: third.name}] : [])];
	const subtitle = [
		`${values.filter(value => value.group === 'Pareto front').length} of ${values.length} configs on the front (mean over repeats of completed trials).`,
		third ? `Point size: ${third.name} (${third.goal === 'maximize' ? 'smaller' : 'larger'} is worse).` : undefined,
	].filter(line => line !== undefined);
	return {
		$schema: SCHEMA,
		title: {text: `${first.name} against ${second.name}: the Pareto front`, subtitle, ...TITLE},
		width: 520,
		height: 340,
		data: {values},
		layer: [
			...(third ? [] : [{transform: [{filter: "datum.group === 'Pareto front'"}], mark: {type: 'line', color: '#e45756', strokeWidth: 1.5}, encoding: {x, y, order: {field: 'x'}}}]),
			{
				mark: {type: 'point', filled: true, opacity: 0.85, ...(third ? {} : {size: 70})},
				encoding: {
					x,
					y,
					color: {field: 'group', type: 'nominal', title: null, scale: {domain: groups.map(([group]) => group), range: groups.map(([, colour]) => colour)}},
					...(third && {size: {field: 'z', type: 'quantitative', title: third.name, scale: {reverse: third.goal === 'maximize'}}}),
					tooltip,
				},
			},
			{transform: [{filter: 'datum.knee'}], mark: {type: 'text', baseline: 'bottom', dy: -10, fontSize: 10, fontWeight: 'bold', text: 'knee'}, encoding: {x, y}},
		],
		config: {axis: font, legend: {...font, orient: 'bottom', labelLimit: 0}},
	} as TopLevelSpec;
}

/** The hypervolume of the front after each trial (src/report/front.ts: scaled objectives, reference 1.1 each), the checkpoints labelled. */
export function hypervolumeSpec(front: ObjectiveFront): TopLevelSpec {
	const values = front.hypervolumeByTrial.map((hypervolume, index) => ({trials: index + 1, hypervolume: round(hypervolume)}));
	const marks = front.hypervolume.map(point => ({trials: point.trials, hypervolume: round(point.hypervolume), text: point.hypervolume.toFixed(3)}));
	const most = HYPERVOLUME_REFERENCE ** front.objectives.length;
	const x = {field: 'trials', type: 'quantitative' as const, title: 'trials (in the order they were suggested)', scale: {domainMin: 1}};
	const y = {field: 'hypervolume', type: 'quantitative' as const, title: `hypervolume (at most ${Number(most.toFixed(3))})`, scale: {domain: [0, round(most)]}};
	return {
		$schema: SCHEMA,
		title: {
			text: 'Hypervolume of the front over trials',
			subtitle: [`Objectives scaled from their best (0) to their worst (1) value over the completed trials; reference point ${HYPERVOLUME_REFERENCE} in each.`],
			...TITLE,
		},
		width: 520,
		height: 240,
		layer: [
			{data: {values}, mark: {type: 'line', interpolate: 'step-after', color: '#4c78a8', strokeWidth: 1.5}, encoding: {x, y}},
			{data: {values: marks}, mark: {type: 'point', filled: true, color: '#e45756', size: 50}, encoding: {x, y, tooltip: [{field: 'trials'}, {field: 'hypervolume', format: '.3f'}]}},
			{data: {values: marks}, mark: {type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -4, fontSize: 10}, encoding: {x, y, text: {field: 'text'}}},
		],
		config: {axis: font},
	} as TopLevelSpec;
}
