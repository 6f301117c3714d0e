// The trial page: its config, state, stop reason, host, backend, training path, every epoch, its learning curves.
import {chart} from './charts.js';
import {duration, fill, getJson, h, percent, showError, sweepHref} from './dom.js';
import {subscribe} from './live.js';

const metric = value => (value === null || value === undefined ? '-' : Number.isFinite(value) ? value.toFixed(4) : String(value));

function facts(trial, data) {
	const rows = [
		['sweep', h('a', {href: sweepHref(data.sweep)}, data.sweep)],
		['config', h('span', {class: 'config'}, data.label)],
		['rank of its config', data.rank === null ? '-' : String(data.rank)],
		['state', h('span', {class: `state ${trial.state}`}, trial.state)],
		['stop reason', trial.stopReason ?? '-'],
		['error', trial.error ?? '-'],
		['epochs', `${trial.epochsRun} of ${trial.config.epochs}`],
		['test accuracy', trial.testAccuracy === null ? '-' : percent(trial.testAccuracy)],
		['test loss', metric(trial.testLoss)],
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
		fill(epochs,
			h('thead', {}, h('tr', {}, ['epoch', 'loss', 'accuracy', 'val loss', 'val accuracy', 'seconds'].map(text => h('th', {}, text)))),
			h('tbody', {}, data.epochs.map(epoch => h('tr', {}, [epoch.epoch, metric(epoch.loss), percent(epoch.accuracy), metric(epoch.valLoss), percent(epoch.valAccuracy), metric(epoch.seconds)].map(cell => h('td', {class: 'num'}, String(cell)))))));
		await chart(chartBox, data.chart);
		return data;
	}

	fill(main, h('h1', {}, `Trial ${id}`), details, h('section', {class: 'charts'}, h('figure', {class: 'wide'}, chartBox)),
		h('section', {}, h('h2', {}, 'Every epoch'), epochs), h('section', {}, h('h2', {}, 'Config'), config));
	try {
		const data = await load();
		subscribe({
			sweep: data.sweep,
			cursor: data.cursor,
			onTrials(event) {
				if (event.trials.some(change => String(change.id) === String(id))) {
					load().catch(error => showError(details, error));
				}
			},
		});
		main.dataset.ready = 'true';
	} catch (error) {
		showError(main, error);
	}
}
