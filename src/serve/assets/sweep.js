// The sweep page: leaderboard (the rows of `sweeplab best`), accuracy against time with the Pareto front,
// validation curves of every trial (kept live by events), learning curves of a selected trial, parallel
// coordinates, and the sweep file.
import {chart, replaceData} from './charts.js';
import {debounce, duration, fill, getJson, h, showError, trialHref} from './dom.js';
import {subscribe} from './live.js';

const PAGE = 20;
const TRIAL_STATES = ['completed', 'running', 'pending', 'interrupted', 'pruned', 'diverged', 'failed', 'timeout'];
/** What each leaderboard column sorts by when its head is clicked (by position: the metric's head varies). */
const SORT_BY = ['rank', undefined, 'value', 'testAccuracy', 'paramCount', 'epochsRun', 'convergedEpoch', 'bestEpoch', 'secondsToBest', 'trainSeconds', 'secondsPerEpoch', undefined, undefined, 'trials'];

function summaryLine(summary) {
	const parts = [
		`${summary.finished}/${summary.planned} trials finished`,
		...Object.entries(summary.counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`),
	];
	if (summary.trialsPerHour !== null) {
		parts.push(`${summary.trialsPerHour.toFixed(1)} trials/h`);
	}

	if (summary.etaSeconds !== null) {
		parts.push(`ETA ≈ ${duration(summary.etaSeconds)}`);
	}

	return [
		h('span', {}, parts.join(' · ')),
		summary.best ? h('span', {class: 'best'}, ' · best so far ', h('strong', {}, summary.best.text), ' ', h('span', {class: 'config'}, summary.best.label)) : null,
	];
}

export async function sweepPage(main, name) {
	const state = {offset: 0, sort: 'rank', dir: 'asc', filterState: '', params: {}, hidePruned: false, selected: undefined};
	let data;
	try {
		data = await getJson(`/api/sweeps/${encodeURIComponent(name)}`);
	} catch (error) {
		showError(main, error);
		return;
	}

	document.title = `${data.sweep.name} · sweeplab`;
	const summary = h('p', {class: 'summary', id: 'summary'}, summaryLine(data.summary));
	const activity = h('p', {class: 'activity muted', id: 'activity', 'aria-live': 'polite'});
	const table = h('table', {class: 'grid board', id: 'leaderboard'});
	const pager = h('div', {class: 'pager'});
	const repeats = h('div', {class: 'repeats', id: 'repeats'});
	const figures = {
		tradeoff: h('div', {class: 'chart', id: 'tradeoff-chart'}),
		curves: h('div', {class: 'chart', id: 'curves-chart'}),
		trial: h('div', {class: 'chart', id: 'trial-chart'}, h('p', {class: 'muted'}, 'Select a config in the table to see the learning curves of its trials.')),
		parallel: h('div', {class: 'chart', id: 'parallel-chart'}),
		importance: h('div', {class: 'chart', id: 'importance-chart'}, h('p', {class: 'muted'}, 'Parameter importance: computing…')),
	};
	const stateFilter = h('select', {id: 'filter-state', 'aria-label': 'filter by state'},
		h('option', {value: ''}, 'any state'), TRIAL_STATES.map(value => h('option', {value}, `has ${value} trials`)));
	const paramFilters = data.keys.filter(key => data.values[key]).map(key => h('label', {}, `${key} `, h('select', {'data-key': key, class: 'filter-param'},
		h('option', {value: ''}, 'any'), data.values[key].map(value => h('option', {value}, value)))));
	const hidePruned = h('input', {type: 'checkbox', id: 'hide-pruned'});

	fill(main,
		h('h1', {}, data.sweep.name),
		data.sweep.question ? h('p', {class: 'question', id: 'question'}, data.sweep.question) : null,
		summary,
		activity,
		h('p', {class: 'muted'}, `${data.sweep.method} search · ${data.sweep.dataset.name} · created ${data.sweep.createdAt.replace('T', ' ').slice(0, 16)} · `,
			data.knee ? ['knee of the front: ', h('span', {class: 'config'}, data.knee)] : 'the front has no knee'),
		h('section', {class: 'charts'},
			h('figure', {}, figures.tradeoff),
			h('figure', {}, h('label', {class: 'toggle'}, hidePruned, ' hide pruned trials'), figures.curves)),
		h('section', {class: 'split'},
			h('div', {class: 'board-column'},
				h('h2', {}, 'Leaderboard'),
				h('div', {class: 'controls'}, stateFilter, paramFilters),
				h('div', {class: 'scroll'}, table),
				pager,
				repeats),
			h('figure', {class: 'trial-figure'}, figures.trial)),
		h('section', {class: 'charts'},
			h('figure', {class: 'wide'}, figures.parallel),
			h('figure', {}, figures.importance)),
		h('section', {},
			h('h2', {}, 'Sweep file'),
			h('p', {class: 'muted'}, data.sweep.file),
			h('pre', {class: 'source'}, data.sweep.source)),
	);

	// --- Leaderboard ---
	async function loadTable() {
		const query = new URLSearchParams({offset: String(state.offset), limit: String(PAGE), sort: state.sort, dir: state.dir});
		if (state.filterState) {
			query.set('state', state.filterState);
		}

		for (const [key, value] of Object.entries(state.params)) {
			if (value) {
				query.set(`p.${key}`, value);
			}
		}

		const page = await getJson(`/api/sweeps/${encodeURIComponent(name)}/leaderboard?${query}`);
		const sorted = SORT_BY.indexOf(state.sort);
		fill(table,
			h('thead', {}, h('tr', {}, page.head.map((text, index) => h('th', {
				class: [SORT_BY[index] ? 'sortable' : '', index === sorted ? `sorted ${state.dir}` : ''].join(' ').trim() || undefined,
				'data-sort': SORT_BY[index],
				'aria-sort': index === sorted ? (state.dir === 'asc' ? 'ascending' : 'descending') : undefined,
			}, text)))),
			h('tbody', {}, page.cells.length === 0
				? h('tr', {}, h('td', {colspan: page.head.length}, 'No config matches these filters.'))
				: page.cells.map((cells, index) => h('tr', {
					'data-config': page.rows[index].configHash,
					class: [page.rows[index].pareto ? 'pareto' : '', page.rows[index].configHash === state.selected ? 'selected' : ''].join(' ').trim() || undefined,
					tabindex: 0,
				}, cells.map((cell, column) => h('td', {class: column === 1 ? 'config' : column === 0 || (column >= 2 && column <= 10) ? 'num' : undefined, title: column === 1 ? cell : undefined}, cell))))),
		);
		table.trials = page.trials;
		fill(pager,
			h('button', {type: 'button', disabled: state.offset === 0, onclick: () => move(-PAGE)}, '‹ previous'),
			h('span', {class: 'muted'}, page.total === 0 ? ' no configs ' : ` configs ${state.offset + 1}–${Math.min(state.offset + PAGE, page.total)} of ${page.total} `),
			h('button', {type: 'button', disabled: state.offset + PAGE >= page.total, onclick: () => move(PAGE)}, 'next ›'));
	}

	const reloadTable = () => loadTable().catch(error => showError(pager, error));
	function move(by) {
		state.offset = Math.max(0, state.offset + by);
		reloadTable();
	}

	table.addEventListener('click', event => {
		const header = event.target.closest('th[data-sort]');
		if (header) {
			const key = header.dataset.sort;
			state.dir = state.sort === key && state.dir === 'asc' ? 'desc' : 'asc';
			state.sort = key;
			state.offset = 0;
			reloadTable();
			return;
		}

		const row = event.target.closest('tr[data-config]');
		if (row) {
			selectConfig(row.dataset.config);
		}
	});
	table.addEventListener('keydown', event => {
		const row = event.target.closest('tr[data-config]');
		if (row && event.key === 'Enter') {
			selectConfig(row.dataset.config);
		}
	});
	stateFilter.addEventListener('change', () => {
		state.filterState = stateFilter.value;
		state.offset = 0;
		reloadTable();
	});
	for (const label of paramFilters) {
		const select = label.querySelector('select');
		select.addEventListener('change', () => {
			state.params[select.dataset.key] = select.value;
			state.offset = 0;
			reloadTable();
		});
	}

	// --- Learning curves of a selected trial ---
	let shownTrial;
	async function showTrial(id) {
		shownTrial = id;
		const trial = await getJson(`/api/trials/${id}`);
		await chart(figures.trial, trial.chart);
	}

	function selectConfig(hash) {
		state.selected = hash;
		for (const row of table.querySelectorAll('tr[data-config]')) {
			row.classList.toggle('selected', row.dataset.config === hash);
		}

		const trials = table.trials?.[hash] ?? [];
		fill(repeats, trials.length === 0 ? null : [
			h('span', {class: 'muted'}, 'Trials of this config: '),
			trials.map(trial => h('span', {class: 'trial-link'},
				h('button', {type: 'button', onclick: () => showTrial(trial.id).catch(error => showError(figures.trial, error))}, `#${trial.id}`),
				' ', h('a', {href: trialHref(trial.id)}, `(${trial.state}, repeat ${trial.repeat})`), ' ')),
		]);
		if (trials.length > 0) {
			showTrial(trials[0].id).catch(error => showError(figures.trial, error));
		}
	}

	// --- Validation curves of every trial, live ---
	const curveSpec = data.charts.curves;
	const coloured = new Set(curveSpec.data.values.filter(row => row.colour && row.state !== 'running').map(row => row.config));
	const trialRows = new Map();
	for (const row of curveSpec.data.values) {
		trialRows.set(row.id, [...(trialRows.get(row.id) ?? []), row]);
	}

	const visibleRows = () => [...trialRows.values()].flat().filter(row => !(state.hidePruned && row.state === 'pruned'));
	let curvesView;

	async function drawAggregates(charts) {
		await Promise.all([chart(figures.tradeoff, charts.tradeoff), chart(figures.parallel, charts.parallel)]);
		// Fetched after the rest: the forest behind it takes the server up to a second on a large sweep.
		loadImportance().catch(error => showError(figures.importance, error));
	}

	async function loadImportance() {
		const view = await getJson(`/api/sweeps/${encodeURIComponent(name)}/importance`);
		if (view.chart) {
			await chart(figures.importance, view.chart);
		} else {
			fill(figures.importance, h('p', {class: 'muted'}, view.note));
		}
	}

	const refreshAggregates = debounce(async () => {
		try {
			const fresh = await getJson(`/api/sweeps/${encodeURIComponent(name)}?part=aggregates`);
			fill(summary, summaryLine(fresh.summary));
			await Promise.all([drawAggregates(fresh.charts), loadTable()]);
		} catch (error) {
			showError(pager, error);
		}
	}, 800);

	function applyTrials(event) {
		let finished = false;
		for (const change of event.trials) {
			const id = String(change.id);
			// A trial seen running keeps its colour when it ends, so the lines watched live stay told apart.
			const colour = coloured.has(change.config) || change.state === 'running' || (trialRows.get(id)?.[0]?.colour ?? false);
			const points = change.points.filter(point => point.accuracy !== null).map(point => ({id, config: change.config, colour, state: change.state, epoch: point.epoch, accuracy: point.accuracy * data.axis.factor}));
			const old = change.reset ? [] : (trialRows.get(id) ?? []).map(row => ({...row, colour, state: change.state}));
			trialRows.set(id, [...old.filter(row => !points.some(point => point.epoch === row.epoch)), ...points].sort((a, b) => a.epoch - b.epoch));
			finished ||= change.state !== 'running';
			const last = points.at(-1);
			if (last) {
				fill(activity, `latest: trial ${change.id} (${change.config}) epoch ${last.epoch}${change.epochs === null ? '' : `/${change.epochs}`}, ${data.axis.title} ${Number(last.accuracy.toPrecision(4))} · ${change.state}`);
			}
			if (shownTrial === change.id) {
				showTrial(change.id).catch(error => showError(figures.trial, error));
			}
		}

		if (curvesView) {
			replaceData(curvesView, 'curves', visibleRows()).catch(error => showError(figures.curves, error));
		}

		if (finished) {
			refreshAggregates();
		}
	}

	hidePruned.addEventListener('change', () => {
		state.hidePruned = hidePruned.checked;
		replaceData(curvesView, 'curves', visibleRows()).catch(error => showError(figures.curves, error));
	});

	try {
		await loadTable();
		curvesView = await chart(figures.curves, curveSpec);
		await drawAggregates(data.charts);
	} catch (error) {
		showError(main, error);
		return;
	}

	let counts = JSON.stringify(data.summary.counts);
	subscribe({
		sweep: name,
		cursor: data.cursor,
		onTrials: applyTrials,
		onCounts(event) {
			// New pending trials and requeues arrive as counts only.
			const own = JSON.stringify(event.sweeps.find(sweep => sweep.name === name)?.counts);
			if (own !== counts) {
				counts = own;
				refreshAggregates();
			}
		},
	});
	main.dataset.ready = 'true';
}
