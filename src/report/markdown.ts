/**
 * The report as markdown that renders on GitHub: pure functions of the data, no file access.
 */
import type {SweepRecord, SweepStatus} from '../store/store.js';
import type {MetricSpec, TrialParams} from '../types.js';
import {CONVERGENCE_ABSOLUTE_TOLERANCE, CONVERGENCE_RELATIVE_TOLERANCE} from './convergence.js';
import {describeProgram} from '../sweep/describe.js';
import {isFraction, LEADERBOARD_ALIGN, leaderboardCells, leaderboardHead, metricHead, metricGap, metricSpread, metricTitle, metricValue, numberSpread, percentSpread, seconds} from './format.js';
import {type RankedRow, timeTied, type Tradeoff} from './ranking.js';

export type Label = (config: TrialParams) => string;

/** The SVG files a sweep report links, relative to its README. */
export const PLOT_FILES = {
	tradeoff: 'accuracy-vs-time.svg',
	validation: 'validation-accuracy.svg',
	learningCurves: 'learning-curves.svg',
} as const;

const code = (text: string): string => `\`${text.replaceAll('`', "'")}\``;
const escapeCell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function markdownTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align: ReadonlyArray<'left' | 'right'> = []): string {
	const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
	const rule = head.map((_, index) => (align[index] === 'right' ? '---:' : '---'));
	return [line(head), `|${rule.join('|')}|`, ...rows.map(line)].join('\n');
}

/** "a third of the time", "36% of the time". */
function shareOfTime(fraction: number): string {
	const words: Record<number, string> = {2: 'half', 3: 'a third', 4: 'a quarter', 5: 'a fifth', 10: 'a tenth'};
	const inverse = 1 / fraction;
	const near = Math.round(inverse);
	if (words[near] && Math.abs(inverse - near) / near < 0.05) {
		return `${words[near]} of the time`;
	}

	return `${Math.round(fraction * 100)}% of the time`;
}

/** Seconds of training per percentage point of an accuracy metric, going from `cheap` to `dear`. */
function costPerPoint(result: Tradeoff, cheap: RankedRow, dear: RankedRow): string | undefined {
	if (!isFraction(result.metric) || result.metric.goal !== 'maximize') {
		return undefined;
	}

	const points = (dear.value.mean - cheap.value.mean) * 100;
	const extra = dear.trainSeconds.mean - cheap.trainSeconds.mean;
	return points > 0 && extra > 0 ? `${seconds(extra / points)} per point` : undefined;
}

/** `31.2 ± 4.0 s`: a config's mean training time and its repeats' spread. */
const timeSpread = (row: RankedRow): string => `${numberSpread(row.trainSeconds, 1)} s`;

/**
 * What the timings can and cannot tell about "the fastest config within the margin", judged like accuracy ties:
 * by the spread (mean ± std) of the repeats' training times. Nothing when the ranking by time stands.
 */
function timeNoise(result: Tradeoff, label: Label): string[] {
	const {mostAccurate: best, fastestWithinMargin: fast, fastestTies} = result;
	if (!best || !fast) {
		return [];
	}

	if (fast.trainSeconds.n < 2) {
		return result.rows.length > 1 ? ['Each config was timed once, so there is no spread to judge time differences by: read the times as rough.'] : [];
	}

	const notes: string[] = [];
	if (fast !== best && timeTied(fast, best) === true) {
		notes.push(`Its time is within the spread of the best config's repeats (${timeSpread(fast)} against ${timeSpread(best)}), so it is not measurably faster.`);
	}

	const others = fastestTies.filter(row => row !== best);
	if (others.length > 0) {
		notes.push(`By mean time ${fast === best ? 'it' : code(label(fast.config))} is the fastest within the margin, but ${others.map(row => `${code(label(row.config))} (${timeSpread(row)})`).join(', ')} ${others.length === 1 ? 'is' : 'are'} within the spread of its repeats (${timeSpread(fast)}): the timings cannot tell which of them is fastest.`);
	}

	return notes;
}

/**
 * Whose weights the test accuracy is of, with their own validation number: `, of the weights after epoch 15
 * (validation accuracy 88.10% ± 0.20 for those same weights)`; the epochs' mean ± std when repeats differ.
 */
function testedWeights(row: RankedRow, metric: MetricSpec): string {
	if (row.testedEpoch.n === 0) {
		return '';
	}

	const epochs = row.testedEpoch.std > 0 ? `epochs averaging ${row.testedEpoch.mean.toFixed(1)} (± ${row.testedEpoch.std.toFixed(1)})` : `epoch ${row.testedEpoch.mean}`;
	return `, of the weights after ${epochs} (${metricTitle(metric)} ${metricSpread(metric, row.testedValue)} for those same weights)`;
}

/**
 * The answer in plain words: the best accuracy and what it costs, the fastest config nearly as good, the
 * configs the data cannot tell apart, the Pareto front and its knee (unless `timeFront` is false: a multi-objective
 * sweep's front is not metric against time).
 */
export function tradeoffStatement(result: Tradeoff, label: Label, timeFront = true): string {
	const {mostAccurate: best, fastestWithinMargin: fast, knee, rows, margin, metric} = result;
	const title = metricTitle(metric);
	if (!best) {
		return `No trial has completed with a finite ${title} yet, so there is nothing to rank.`;
	}

	const repeats = (row: RankedRow) => (row.value.n > 1 ? ` (mean of ${row.value.n} repeats)` : '');
	const test = best.testAccuracy.n > 0 ? `; its test accuracy is ${percentSpread(best.testAccuracy)}${testedWeights(best, metric)}` : '';
	const parts = [
		`The best ${title} is **${metricSpread(metric, best.value)}** (${code(label(best.config))}) in ${seconds(best.trainSeconds.mean)} of training${repeats(best)}${test}.`,
	];
	const marginText = `${(margin * 100).toFixed(1)} ${isFraction(metric) ? 'points' : '%'}`;
	if (fast && fast !== best) {
		const gap = Math.abs(best.value.mean - fast.value.mean);
		const cost = costPerPoint(result, fast, best);
		parts.push(
			`${code(label(fast.config))} reaches ${metricValue(metric, fast.value.mean)} (${metricGap(metric, gap)} ${metric.goal === 'maximize' ? 'less' : 'more'}) in ${shareOfTime(fast.trainSeconds.mean / best.trainSeconds.mean)} (${seconds(fast.trainSeconds.mean)}): the fastest config within ${marginText} of the best${cost ? `; the last ${metricGap(metric, gap)} cost ${cost}` : ''}.`,
		);
	} else {
		parts.push(`No config within ${marginText} of it trains faster.`);
	}

	if (fast) {
		parts.push(...timeNoise(result, label));
	}

	// The rank group, not every overlapping config, so the words match the table's `1=` marks.
	const ties = rows.filter(row => row !== best && row.rank === best.rank);
	const good = metric.name === 'val_accuracy' ? 'accurate' : 'good';
	if (ties.length > 0) {
		parts.push(
			`It is tied with ${ties.map(row => code(label(row.config))).join(', ')}: the differences are within the spread of the repeats (mean ± std overlap), so this sweep cannot tell them apart.`,
		);
	} else if (best.value.n < 2) {
		parts.push('With one repeat per config there is no spread to judge ties by; rerun with `repeats: 2` or more before trusting small differences.');
	}

	// A multi-objective sweep's front is over its own objectives: its section (front-markdown.ts) says it.
	if (!timeFront) {
		return parts.join('\n\n');
	}

	const front = rows.filter(row => row.pareto).sort((a, b) => a.trainSeconds.mean - b.trainSeconds.mean);
	const ranked = rows.filter(row => row.rank !== null).length;
	parts.push(
		`${front.length} of ${ranked} configs ${front.length === 1 ? 'is' : 'are'} on the Pareto front (no other config is both at least as ${good} and at least as fast), from fastest to most ${good}: ${front.map(row => `${code(label(row.config))} ${metricValue(metric, row.value.mean)} in ${seconds(row.trainSeconds.mean)}`).join('; ')}.`,
	);
	if (knee) {
		const cost = costPerPoint(result, knee, best);
		const noise = knee !== best && timeTied(knee, best) === true
			? ` Its time is within the spread of the best config's repeats (${timeSpread(knee)} against ${timeSpread(best)}), so the bend is inside the noise of the timings.`
			: '';
		parts.push(
			`The knee of the front is ${code(label(knee.config))}: ${metricValue(metric, knee.value.mean)} in ${seconds(knee.trainSeconds.mean)}${cost && knee !== best ? `; beyond it, accuracy costs ${cost}` : ''}.${noise}`,
		);
	}

	return parts.join('\n\n');
}

export interface SweepReportInput {
	sweep: SweepRecord;
	result: Tradeoff;
	label: Label;
	trialCount: number;
	states: Record<string, number>;
	/** A multi-objective sweep's section (front-markdown.ts), after the answer. */
	front?: string;
	/** The "Which parameters matter" section (importance-section.ts), placed after the leaderboard; none when absent. */
	importance?: string;
}

/** reports/<sweep>/README.md. */
export function sweepReadme({sweep, result, label, trialCount, states, front, importance}: SweepReportInput): string {
	const {definition} = sweep;
	const {metric} = result;
	const dataset = definition.dataset ? [
		definition.dataset.name,
		definition.dataset.trainLimit === undefined ? undefined : `${definition.dataset.trainLimit.toLocaleString('en-US')} training images`,
		definition.dataset.validation === 'test' ? 'validated on the test set' : `${definition.dataset.validation * 100}% held out for validation`,
	].filter(Boolean).join(', ') : `program ${code(describeProgram(definition.program))}`;
	const stateText = Object.entries(states).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ');
	const configs = result.rows.length;
	const fence = sweep.file.endsWith('.json') ? 'json' : 'yaml';
	const sections = [
		`# Sweep ${code(sweep.name)}`,
		definition.question ? `> ${definition.question}` : undefined,
		`${configs} config${configs === 1 ? '' : 's'} × ${definition.repeats} repeat${definition.repeats === 1 ? '' : 's'} = ${trialCount} trials (${stateText || 'none yet'}) · ${definition.method} search · ${dataset} · created ${sweep.createdAt.slice(0, 10)}`,
		'## Answer',
		tradeoffStatement(result, label, front === undefined),
		front,
		'## Leaderboard',
		markdownTable(
			leaderboardHead(metric),
			result.rows.map(row => leaderboardCells(row, label, metric)),
			LEADERBOARD_ALIGN,
		),
		[
			`Ranked by ${metricTitle(metric)} at each trial's best ${definition.program ? 'step' : 'epoch'} (${metric.goal === 'maximize' ? 'higher' : 'lower'} is better), mean ± sample standard deviation over repeats (completed trials only). `,
			'A rank followed by `=` is shared: those configs\' mean ± std intervals overlap, so they are tied rather than ranked apart. ',
			`*Converged at* is the first epoch whose validation loss is within max(${CONVERGENCE_RELATIVE_TOLERANCE * 100}% of the trial's minimum, ${CONVERGENCE_ABSOLUTE_TOLERANCE}) of that minimum. `,
			`*test acc* is of the weights after *tested epoch* (the last epoch, or the best one when early stopping restored it), and *${metricHead(metric)} of tested* is the ${metricTitle(metric)} of those same weights: compare these two, not the best epoch's ${metricTitle(metric)}, with the test accuracy. `,
			`*s to best* sums the epoch times up to the best epoch; *train s* is the whole trial; *Pareto* marks configs no other config beats on ${front === undefined ? `both ${metricTitle(metric)} and training time` : 'every objective'}.`,
		].join(''),
		importance,
		'## Plots',
		`![Validation accuracy against training time](${PLOT_FILES.tradeoff})`,
		`![Validation accuracy per epoch](${PLOT_FILES.validation})`,
		`![Learning curves](${PLOT_FILES.learningCurves})`,
		'## Sweep definition',
		`From ${code(sweep.file)}:`,
		`\`\`\`${fence}\n${sweep.source.trimEnd()}\n\`\`\``,
	];
	return sections.filter(section => section !== undefined).join('\n\n') + '\n';
}

export interface IndexEntry {
	status: SweepStatus;
	result: Tradeoff;
	label: Label;
}

/** reports/README.md: one line per sweep, linking its report. */
export function indexReadme(entries: readonly IndexEntry[]): string {
	const rows = entries.map(({status, result, label}) => {
		const best = result.mostAccurate;
		return [
			`[${status.sweep.name}](${encodeURIComponent(status.sweep.name)}/README.md)`,
			status.sweep.definition.question ?? '',
			`${status.counts.completed}/${status.total}`,
			best ? label(best.config) : '-',
			best ? `${metricSpread(result.metric, best.value)}${result.metric.name === 'val_accuracy' ? '' : ` ${result.metric.name}`}` : '-',
			best ? seconds(best.trainSeconds.mean) : '-',
		];
	});
	return [
		'# Sweep reports',
		entries.length === 0 ? 'No sweeps in the database yet.' : markdownTable(['sweep', 'question', 'completed', 'best config', 'best', 'train s'], rows, ['left', 'left', 'right', 'left', 'right', 'right']),
	].join('\n\n') + '\n';
}
