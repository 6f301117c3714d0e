// DOM helpers. User text (sweep names, questions, parameter values, errors) only ever becomes a text node or an
// attribute value: nothing here parses a string as HTML.

/** An element with attributes (on* names add listeners) and children (strings become text nodes). */
export function h(tag, attributes = {}, ...children) {
	const element = document.createElement(tag);
	for (const [name, value] of Object.entries(attributes)) {
		if (value === undefined || value === null || value === false) {
			continue;
		}

		if (name.startsWith('on')) {
			element.addEventListener(name.slice(2), value);
		} else if (name === 'class') {
			element.className = value;
		} else {
			element.setAttribute(name, value === true ? '' : String(value));
		}
	}

	append(element, children);
	return element;
}

export function append(element, children) {
	for (const child of [children].flat(Infinity)) {
		if (child !== undefined && child !== null && child !== false) {
			element.append(child instanceof Node ? child : document.createTextNode(String(child)));
		}
	}

	return element;
}

/** Replace an element's children. */
export function fill(element, ...children) {
	element.replaceChildren();
	return append(element, children);
}

export async function getJson(path) {
	const response = await fetch(path, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
	const body = await response.json().catch(() => ({error: `${response.status} ${response.statusText}`}));
	if (!response.ok) {
		throw new Error(body.error ?? `${response.status} ${response.statusText}`);
	}

	return body;
}

export function showError(element, error) {
	fill(element, h('p', {class: 'error', role: 'alert'}, String(error?.message ?? error)));
}

/** Calls `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
	let timer;
	return (...args) => {
		clearTimeout(timer);
		timer = setTimeout(() => fn(...args), ms);
	};
}

export const percent = (fraction, digits = 2) => (Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : '-');

/** 42.1 s, 3m05s, 2h10m. */
export function duration(seconds) {
	if (!Number.isFinite(seconds)) {
		return '-';
	}

	if (seconds < 60) {
		return `${seconds.toFixed(1)} s`;
	}

	const minutes = Math.floor(seconds / 60);
	return minutes < 60 ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export const sweepHref = name => `/sweeps/${encodeURIComponent(name)}`;
export const trialHref = id => `/trials/${encodeURIComponent(id)}`;
