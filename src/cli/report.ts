import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import type {Argv} from 'yargs';
import {UsageError} from '../errors.js';
import {readSweep, type SweepData} from '../report/data.js';
import {timeFrontRows} from '../report/front.js';
import {frontMarkdown} from '../report/front-markdown.js';
import {FRONT_PLOT_FILES, frontSpec, hypervolumeSpec} from '../report/front-plots.js';
import {importanceMarkdown, importanceSection} from '../report/importance-section.js';
import {type IndexEntry, indexReadme, PLOT_FILES, sweepReadme} from '../report/markdown.js';
import {renderSvg} from '../report/chart-common.js';
import {learningCurvesSpec, tradeoffSpec, validationCurvesSpec} from '../report/plots.js';
import {TRIAL_STATES} from '../types.js';
import {marginOption, openForReport} from './best.js';
import {globalOptions, type GlobalArgs} from './common.js';

export interface ReportArgs extends GlobalArgs {
	sweep?: string;
	all: boolean;
	out: string;
	margin: number;
	intro?: string;
}

export function reportBuilder(yargs: Argv): Argv<ReportArgs> {
	return marginOption(globalOptions(yargs))
		.positional('sweep', {type: 'string', describe: 'Sweep name (see sweeplab status)'})
		.option('all', {type: 'boolean', default: false, describe: 'Report every sweep in the database and write an index linking them'})
		.option('out', {type: 'string', default: 'reports', describe: 'Folder to write <sweep>/README.md and its SVG plots into'})
		.option('intro', {type: 'string', describe: 'With --all: a markdown file put above the index in <out>/README.md (e.g. a study\'s conclusions)'}) as unknown as Argv<ReportArgs>;
}

/** The files of one sweep's report: README.md and the SVGs it links, by file name. */
export async function renderSweepReport(data: SweepData): Promise<Map<string, string>> {
	const {sweep, trials, steps, label, result, front} = data;
	const states = Object.fromEntries(TRIAL_STATES.map(state => [state, trials.filter(trial => trial.state === state).length]));
	const configs = new Map(result.rows.map(row => [row.configHash, row.config]));
	return new Map([
		['README.md', sweepReadme({sweep, result, label, trialCount: trials.length, states, ...(front && {front: frontMarkdown(front, configs, label)}), importance: importanceMarkdown(importanceSection(data), result.metric)})],
		[PLOT_FILES.tradeoff, await renderSvg(tradeoffSpec(front ? timeFrontRows(result.rows, result.metric) : result.rows, label, result.metric))],
		[PLOT_FILES.validation, await renderSvg(validationCurvesSpec(trials, steps, result.rows, label, result.metric))],
		[PLOT_FILES.learningCurves, await renderSvg(learningCurvesSpec(trials, steps, result.rows, label))],
		...(front ? [[FRONT_PLOT_FILES.front, await renderSvg(frontSpec(front, configs, label))], [FRONT_PLOT_FILES.hypervolume, await renderSvg(hypervolumeSpec(front))]] as const : []),
	]);
}

/**
 * `sweeplab report <sweep>|--all`: write <out>/<sweep>/README.md with its plots; with --all, every sweep
 * and <out>/README.md linking them.
 * @returns the paths written.
 */
export async function reportCommand(args: ReportArgs): Promise<{written: string[]}> {
	if (args.intro !== undefined && !args.all) {
		throw new UsageError('--intro goes with --all (it heads the index of every sweep)');
	}

	// Read before anything is written, so a missing file leaves the reports as they were.
	const intro = args.intro === undefined ? undefined : readIntro(args.intro);
	if (Boolean(args.sweep) === args.all) {
		throw new UsageError(args.all ? `give either a sweep name or --all, not both (got "${args.sweep}" and --all)` : 'name a sweep to report, or pass --all for every sweep');
	}

	const store = openForReport(args.db);
	try {
		const margin = args.margin / 100;
		const statuses = await store.listSweeps();
		const names = args.all ? statuses.map(status => status.sweep.name) : [args.sweep!];
		const written: string[] = [];
		const entries: IndexEntry[] = [];
		for (const name of names) {
			const data = await readSweep(store, name, {margin, db: args.db});
			written.push(...writeFiles(join(args.out, name), await renderSweepReport(data)));
			const status = statuses.find(candidate => candidate.sweep.name === name)!;
			entries.push({status, result: data.result, label: data.label});
		}

		if (args.all) {
			const index = indexReadme(entries);
			written.push(...writeFiles(args.out, new Map([['README.md', intro === undefined ? index : `${intro.trimEnd()}\n\n${index.replace(/^# Sweep reports/, '## Sweep reports')}`]])));
		}

		return {written};
	} finally {
		await store.close();
	}
}

function writeFiles(folder: string, files: Map<string, string>): string[] {
	mkdirSync(folder, {recursive: true});
	return [...files].map(([name, text]) => {
		const path = join(folder, name);
		writeFileSync(path, text);
		return path;
	});
}

function readIntro(path: string): string {
	try {
		return readFileSync(path, 'utf8');
	} catch (error) {
		throw new UsageError(`--intro ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
}
