// Server-Sent Events: the server pushes what changed since the cursor of the snapshot the page was drawn from.
// EventSource reconnects by itself and sends the last event id (a cursor), so nothing is missed across a drop.

/** Subscribe; `sweep` narrows trial events to one sweep (every page gets the counts of every sweep). */
export function subscribe({sweep, cursor, onTrials, onCounts}) {
	const url = new URL('/api/events', location.origin);
	if (sweep !== undefined) {
		url.searchParams.set('sweep', sweep);
	}

	if (cursor !== undefined) {
		url.searchParams.set('cursor', String(cursor));
	}

	const badge = document.getElementById('live');
	const source = new EventSource(url);
	source.addEventListener('open', () => {
		badge.textContent = 'live';
		badge.className = 'live on';
	});
	source.addEventListener('error', () => {
		badge.textContent = 'reconnecting';
		badge.className = 'live off';
	});
	source.addEventListener('trials', event => onTrials?.(JSON.parse(event.data)));
	source.addEventListener('counts', event => onCounts?.(JSON.parse(event.data)));
	return source;
}
