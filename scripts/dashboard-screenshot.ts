/**
 * The screenshot in docs/dashboard.md: `sweeplab serve` on the committed study database, the sweep page of one
 * sweep with its best config selected, in headless Chromium.
 *
 *   npx tsc -p tsconfig.json && node scripts/copy-assets.mjs && node dist/scripts/dashboard-screenshot.js [--sweep best] [--out docs/img/dashboard-sweep.png]
 */
import {copyFileSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {openSqliteStore} from '../src/store/sqlite.js';
import {launchChromium, startServe} from '../test/serve/chromium.js';

const {values} = parseArgs({options: {sweep: {type: 'string', default: 'best'}, out: {type: 'string', default: 'docs/img/dashboard-sweep.png'}}});
// A copy: serve opens read-only, but the committed file should not even see a -shm beside it.
const directory = mkdtempSync(join(tmpdir(), 'sweeplab-screenshot-'));
const db = join(directory, 'study.db');
copyFileSync('reports/study.db', db);
// The committed database may predate this sweeplab's schema; serve reads only, so the copy is upgraded here.
await openSqliteStore(db).close();
const [browser, serve] = await Promise.all([launchChromium(), startServe(['--db', db])]);
try {
	const page = await browser.newPage({viewport: {width: 1400, height: 1250}, deviceScaleFactor: 1});
	await page.goto(`${serve.url}sweeps/${encodeURIComponent(values.sweep)}`);
	await page.waitForSelector('main[data-ready]');
	await page.click('#leaderboard tbody tr:first-child');
	await page.waitForSelector('#trial-chart canvas');
	await page.waitForTimeout(300);
	// The first screenful: what a user sees on opening the page.
	await page.screenshot({path: values.out});
	console.log(`wrote ${values.out}`);
} finally {
	await browser.close();
	await serve.stop();
	rmSync(directory, {recursive: true, force: true});
}
