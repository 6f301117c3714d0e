/**
 * The "Which parameters matter" section of a sweep's report: fANOVA's share of the metric's variance per swept
 * parameter and the top pairwise interaction (src/report/importance.ts), the numbers `best --importance` prints.
 * Decided from the data here, rendered as markdown by a pure function, so sweepReadme only places the text.
 */
import type {MetricSpec} from '../types.js';
import type {SweepData} from './data.js';
import {metricTitle} from './format.js';
import {importanceObservations, type ImportanceResult, sweepImportance, variedParameters} from './importance.js';
import {markdownTable} from './markdown.js';

export type ImportanceSection = {sweep: string} & ({kind: 'shares'; result: ImportanceResult} | {kind: 'too-few'; configs: number});

/** The section's content, or undefined for a sweep with no parameter that varies (nothing to weigh). */
export function importanceSection(data: Pick<SweepData, 'sweep' | 'result'>): ImportanceSection | undefined {
	if (variedParameters(data.sweep.definition.parameters).length === 0) {
		return undefined;
	}

	const {name: sweep} = data.sweep;
	const configs = importanceObservations(data).length;
	return configs < 2 ? {sweep, kind: 'too-few', configs} : {sweep, kind: 'shares', result: sweepImportance(data)};
}

const share = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** The section as markdown, heading included; undefined when there is no section. */
export function importanceMarkdown(section: ImportanceSection | undefined, metric: MetricSpec): string | undefined {
	if (section === undefined) {
		return undefined;
	}

	const title = metricTitle(metric);
	const heading = '## Which parameters matter';
	if (section.kind === 'too-few') {
		return `${heading}\n\nToo few finished configs to say: the share of ${title}'s variance each parameter explains needs at least two configs with a finished ${title}, and this sweep has ${section.configs}.`;
	}

	const {result} = section;
	const configs = result.sampledFrom === undefined ? `its ${result.trials} configs` : `a random ${result.trials} of its ${result.sampledFrom} configs`;
	const parts = [
		heading,
		`Each swept parameter's share of the variance of ${title} over ${configs} (a config's best ${title}, averaged over its repeats), explained by the parameter on its own: fANOVA over a random forest of 64 trees, as Optuna's \`FanovaImportanceEvaluator\`; ± is the spread over the trees, wide when the configs are few. \`sweeplab best ${section.sweep} --importance\` prints the same.`,
		markdownTable(['parameter', 'share of variance', '± over trees'], result.parameters.map(p => [p.name, share(p.importance), share(p.std)]), ['left', 'right', 'right']),
	];
	if (result.topInteraction) {
		const [a, b] = result.topInteraction.names;
		parts.push(`The strongest pairwise interaction, beyond what each explains alone: \`${a}\` × \`${b}\`, ${share(result.topInteraction.importance)} of the variance.`);
	}

	return parts.join('\n\n');
}
