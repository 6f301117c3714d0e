// The sweeps page: every sweep with its counts per state, progress, throughput, ETA and best so far.
import {debounce, duration, fill, getJson, h, showError, sweepHref} from './dom.js';
import {subscribe} from './live.js';

const STATE_ORDER = ['running', 'pending', 'interrupted', 'completed', 'pruned', 'diverged', 'failed', 'timeout'];

function states(counts) {
	return STATE_ORDER.filter(state => counts[state] > 0).map(state => h('span', {class: `state ${state}`}, `${counts[state]} ${state}`));
}

function row(sweep) {
	const done = sweep.finished >= sweep.planned;
	return h('tr', {'data-sweep': sweep.name},
		h('td', {}, h('input', {type: 'checkbox', name: 'compare', value: sweep.name, 'aria-label': `compare ${sweep.name}`})),
		h('td', {}, h('a', {href: sweepHref(sweep.name)}, sweep.name), sweep.question ? h('div', {class: 'question'}, sweep.question) : null),
		h('td', {class: 'num'}, `${sweep.finished}/${sweep.planned}`, h('br'), h('progress', {max: Math.max(1, sweep.planned), value: sweep.finished})),
		h('td', {}, states(sweep.counts)),
		h('td', {class: 'num'}, sweep.trialsPerHour === null ? '-' : `${sweep.trialsPerHour.toFixed(sweep.trialsPerHour < 10 ? 1 : 0)} trials/h`),
		h('td', {class: 'num'}, done ? 'done' : sweep.etaSeconds === null ? '-' : `≈ ${duration(sweep.etaSeconds)}`),
		h('td', {}, sweep.best ? [h('strong', {}, sweep.best.text), ' ', h('span', {class: 'config'}, sweep.best.label)] : '-'),
	);
}

export async function sweepsPage(main) {
	const body = h('tbody');
	const compare = h('button', {type: 'button', disabled: true}, 'Compare selected');
	fill(main,
		h('h1', {}, 'Sweeps'),
		h('table', {class: 'grid', id: 'sweeps'},
			h('thead', {}, h('tr', {}, ['', 'sweep', 'trials', 'states', 'throughput', 'ETA', 'best so far'].map(text => h('th', {}, text)))),
			body),
		h('p', {}, compare, ' ', h('span', {class: 'muted'}, 'two or more sweeps: their fronts and curves on one plot')),
	);
	const selected = () => [...body.querySelectorAll('input[name=compare]:checked')].map(input => input.value);
	body.addEventListener('change', () => {
		compare.disabled = selected().length < 2;
	});
	compare.addEventListener('click', () => {
		location.href = `/compare?sweeps=${selected().map(encodeURIComponent).join(',')}`;
	});

	async function load() {
		const keep = new Set(selected());
		const data = await getJson('/api/sweeps');
		fill(body, data.sweeps.length === 0 ? h('tr', {}, h('td', {colspan: 7}, 'No sweeps in this database yet: start one with sweeplab run <file>.')) : data.sweeps.map(row));
		for (const input of body.querySelectorAll('input[name=compare]')) {
			input.checked = keep.has(input.value);
		}

		return data;
	}

	try {
		const data = await load();
		const reload = debounce(() => load().catch(error => showError(main, error)), 1000);
		subscribe({cursor: data.cursor, onCounts: reload});
	} catch (error) {
		showError(main, error);
	}
}
