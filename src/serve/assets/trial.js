// The trial page: its config, state, stop reason, host, backend, training path, every epoch, its learning curves.
import {chart} from './charts.js';
import {duration, fill, getJson, h, percent, showError, sweepHref} from './dom.js';
import {subscribe} from './live.js';

const LOG_TAIL = 64 * 1024;
const LOG_MAX = 16 * 1024 * 1024;
const bytes = n => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

const metric = value => (value === null || value === undefined ? '-' : Number.isFinite(value) ? value.toFixed(4) : String(value));

function facts(trial, data) {
	const rows = [
		['sweep', h('a', {href: sweepHref(data.sweep)}, data.sweep)],
		['config', h('span', {class: 'config'}, data.label)],
		['rank of its config', data.rank === null ? '-' : String(data.rank)],
		['state', h('span', {class: `state ${trial.state}`}, trial.state)],
		['stop reason', trial.stopReason ?? '-'],
		['error', trial.error ?? '-'],
		['epochs (steps)', `${trial.epochsRun}${typeof trial.config.epochs === 'number' ? ` of ${trial.config.epochs}` : ''}`],
		['ranked by', `${data.metric.name} (${data.metric.goal})`],
		['test accuracy', trial.testAccuracy === null ? '-' : percent(trial.testAccuracy)],
		['test loss', metric(trial.testLoss)],
		...Object.entries(trial.finalMetrics ?? {}).filter(([name]) => name !== 'test_accuracy' && name !== 'test_loss').map(([name, value]) => [`final ${name}`, metric(value)]),
		['log', trial.logPath ?? '-'],
		['training time', trial.trainSeconds === null ? '-' : duration(trial.trainSeconds)],
		['host', trial.host === null ? '-' : `${trial.host}${trial.cores ? ` (${trial.cores} cores)` : ''}`],
		['backend', trial.backend ?? '-'],
		['training path', trial.trainingPath ?? '-'],
		['parameters', trial.paramCount === null ? '-' : trial.paramCount.toLocaleString('en-US')],
		['repeat / seed', `${trial.repeat} / ${trial.seed}`],
		['attempts', String(trial.attempts)],
		['started', trial.startedAt ?? '-'],
		['finished', trial.finishedAt ?? '-'],
	];
	return h('table', {class: 'facts'}, h('tbody', {}, rows.map(([name, value]) => h('tr', {}, h('th', {}, name), h('td', {}, value)))));
}

export async function trialPage(main, id) {
	const chartBox = h('div', {class: 'chart', id: 'trial-chart'});
	const details = h('div');
	const epochs = h('table', {class: 'grid', id: 'epochs'});
	const config = h('pre', {class: 'source'});

	async function load() {
		const data = await getJson(`/api/trials/${encodeURIComponent(id)}`);
		const {trial} = data;
		document.title = `trial ${trial.id} of ${data.sweep} · sweeplab`;
		fill(details, facts(trial, data));
		fill(config, JSON.stringify(trial.config, null, 2));
		// Every metric any step reported, the built-in trainer's in their usual order first.
		const known = ['loss', 'accuracy', 'val_loss', 'val_accuracy'];
		const names = [...new Set(data.steps.flatMap(step => Object.keys(step.metrics)))].sort((a, b) => (known.includes(a) ? known.indexOf(a) : 99) - (known.includes(b) ? known.indexOf(b) : 99) || a.localeCompare(b));
		const cell = (name, value) => (/(^|_)acc(uracy)?$/i.test(name) ? percent(value) : metric(value));
		fill(epochs,
			h('thead', {}, h('tr', {}, ['step', ...names, 'seconds'].map(text => h('th', {}, text)))),
			h('tbody', {}, data.steps.map(step => h('tr', {}, [step.step, ...names.map(name => (name in step.metrics ? cell(name, step.metrics[name]) : '-')), metric(step.seconds)].map(text => h('td', {class: 'num'}, String(text)))))));
		await chart(chartBox, data.chart);
		return data;
	}

	// The program's output: its tail first, more on request (the server reads no more than it is asked for).
	const logSection = h('section', {id: 'log-section', hidden: true});
	let tail = LOG_TAIL;
	async function loadLog() {
		const log = await getJson(`/api/trials/${encodeURIComponent(id)}/log?tail=${tail}`);
		if (log.path === null) {
			logSection.hidden = true;
			return;
		}

		logSection.hidden = false;
		const more = !log.complete && tail < LOG_MAX
			? h('button', {type: 'button', id: 'log-more', onclick: () => {
				tail = Math.min(tail * 4, LOG_MAX);
				loadLog().catch(error => showError(logSection, error));
			}}, 'show more')
			: null;
		fill(logSection,
			h('h2', {}, 'Log'),
			h('p', {class: 'muted'}, log.path, log.unavailable ? ` · ${log.unavailable}` : log.complete ? ` · all ${bytes(log.size)}` : [` · the last ${bytes(log.shown)} of ${bytes(log.size)} `, more]),
			log.unavailable ? null : h('pre', {class: 'source log', id: 'trial-log'}, log.text));
	}

	fill(main, h('h1', {}, `Trial ${id}`), details, h('section', {class: 'charts'}, h('figure', {class: 'wide'}, chartBox)),
		h('section', {}, h('h2', {}, 'Every step (epoch)'), epochs), h('section', {}, h('h2', {}, 'Config'), config), logSection);
	try {
		const data = await load();
		await loadLog();
		subscribe({
			sweep: data.sweep,
			cursor: data.cursor,
			onTrials(event) {
				if (event.trials.some(change => String(change.id) === String(id))) {
					load().catch(error => showError(details, error));
					loadLog().catch(error => showError(logSection, error));
				}
			},
		});
		main.dataset.ready = 'true';
	} catch (error) {
		showError(main, error);
	}
}
