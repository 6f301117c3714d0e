// The dashboard's entry: one page per path, each drawing itself from the JSON API.
import {comparePage} from './compare.js';
import {showError} from './dom.js';
import {sweepPage} from './sweep.js';
import {sweepsPage} from './sweeps.js';
import {trialPage} from './trial.js';

const main = document.getElementById('main');
const path = location.pathname;
let match;
if (path === '/') {
	await sweepsPage(main);
} else if ((match = /^\/sweeps\/([^/]+)$/.exec(path))) {
	await sweepPage(main, decodeURIComponent(match[1]));
} else if ((match = /^\/trials\/(\d+)$/.exec(path))) {
	await trialPage(main, match[1]);
} else if (path === '/compare') {
	await comparePage(main);
} else {
	showError(main, `no page at ${path}`);
}
