/**
 * The section of a multi-objective sweep's report: its front, knee and hypervolume over trials, with the charts
 * (front-plots.ts). Markdown only, as markdown.ts.
 */
import type {TrialParams} from '../types.js';
import {frontMembers, hypervolumeScale, kneeRule, type ObjectiveFront, objectivesText, objectiveText} from './front.js';
import {FRONT_PLOT_FILES} from './front-plots.js';
import {markdownTable} from './markdown.js';

const code = (text: string): string => `\`${text.replaceAll('`', "'")}\``;

/** `## Pareto front` and what follows it. */
export function frontMarkdown(front: ObjectiveFront, configs: ReadonlyMap<string, TrialParams>, label: (config: TrialParams) => string): string {
	const name = (configHash: string) => label(configs.get(configHash) ?? {});
	const members = frontMembers(front);
	const ranked = front.points.filter(point => point.rank !== null).length;
	const head = ['config', ...front.objectives.map(objective => `${objective.name} (${objective.goal === 'maximize' ? 'max' : 'min'})`), 'knee'];
	const rows = members.map(point => [code(name(point.configHash)), ...front.objectives.map((objective, index) => objectiveText(objective, point.values[index])), point.configHash === front.knee ? 'yes' : '']);
	const table = markdownTable(head, rows, ['left', ...front.objectives.map(() => 'right' as const), 'left']);
	const knee = front.knee === undefined ? 'The front has no knee (fewer than three distinct points, or it does not bend).' : `The knee is ${code(name(front.knee))}: ${kneeRule(front)}, each objective scaled to [0, 1] over the front.`;
	const hypervolume = markdownTable(['trials', 'hypervolume'], front.hypervolume.map(point => [String(point.trials), point.hypervolume.toFixed(3)]), ['right', 'right']);
	return [
		'## Pareto front',
		`${members.length} of ${ranked} configs are on the front over ${objectivesText(front.objectives)}: no other config is at least as good on every objective and better on one (means over repeats of completed trials; the leaderboard's *Pareto* column marks the same configs).`,
		table,
		knee,
		`![The Pareto front](${FRONT_PLOT_FILES.front})`,
		`How the front grew: its hypervolume after 10, 25 and 50 trials and after all of them (${hypervolumeScale(front)}).`,
		hypervolume,
		`![Hypervolume over trials](${FRONT_PLOT_FILES.hypervolume})`,
	].join('\n\n');
}
