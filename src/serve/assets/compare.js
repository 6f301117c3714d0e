// Compare: two or more sweeps' Pareto fronts and best curves on one plot.
import {chart} from './charts.js';
import {fill, getJson, h, showError} from './dom.js';

export async function comparePage(main) {
	const chosen = (new URLSearchParams(location.search).get('sweeps') ?? '').split(',').filter(Boolean);
	const picker = h('form', {class: 'controls', id: 'compare-form'});
	const box = h('div', {class: 'chart', id: 'compare-chart'});
	fill(main, h('h1', {}, 'Compare sweeps'), picker, box);
	// A comparison is drawn once from what the sweeps hold now; reload for newer trials.
	fill(document.getElementById('live'), 'snapshot');
	try {
		const {sweeps} = await getJson('/api/sweeps');
		fill(picker,
			sweeps.map(sweep => h('label', {}, h('input', {type: 'checkbox', name: 'sweep', value: sweep.name, checked: chosen.includes(sweep.name)}), ` ${sweep.name} `)),
			h('button', {type: 'submit'}, 'Compare'));
		picker.addEventListener('submit', event => {
			event.preventDefault();
			const names = [...picker.querySelectorAll('input:checked')].map(input => input.value);
			location.search = `?sweeps=${names.map(encodeURIComponent).join(',')}`;
		});
		if (chosen.length < 2) {
			fill(box, h('p', {class: 'muted'}, 'Pick two or more sweeps.'));
			return;
		}

		const data = await getJson(`/api/compare?sweeps=${chosen.map(encodeURIComponent).join(',')}`);
		await chart(box, data.chart);
		main.dataset.ready = 'true';
	} catch (error) {
		showError(box, error);
	}
}
