/**
 * sweeplab against an Optuna + PyTorch peer on the same learning-rate grid (7 rates, 3 epochs, batch 32, the
 * full data), in one run: sweeplab with 2 workers, then 2 Python processes sharing one SQLite Optuna study.
 * Prints both wall times and their ratio. Needs python3 with torch and optuna (Debian: python3-torch,
 * python3-optuna) and the full dataset.
 *
 *   npm run bench:peer [-- --workers 2]
 */
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {getDatasetEntry} from '../src/data/registry.js';
import {locateDataset} from '../src/data/locate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workersIndex = process.argv.indexOf('--workers');
const workers = Number(workersIndex < 0 ? 2 : process.argv[workersIndex + 1]);

// $PYTHON, else the first of python3 on PATH and Debian's /usr/bin/python3 that has torch and optuna
// (a pyenv or venv python3 on PATH may lack the Debian packages).
const probe = (python: string) => spawnSync(python, ['-c', 'import torch, optuna; print(torch.__version__, optuna.__version__)'], {encoding: 'utf8'});
const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];
const python = candidates.find(candidate => probe(candidate).status === 0);
if (!python) {
	console.error(`bench:peer needs python3 with torch and optuna (on Debian: apt-get install python3-torch python3-optuna; or set PYTHON); tried ${candidates.join(', ')}`);
	process.exit(1);
}

const check = probe(python);

const located = locateDataset(getDatasetEntry('fashion-mnist'));
if (!located) {
	console.error('bench:peer needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist, or SWEEPLAB_DATA_DIR)');
	process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-peer-'));
const wall = async (run: () => Promise<void>): Promise<number> => {
	const started = performance.now();
	await run();
	return (performance.now() - started) / 1000;
};

const exited = async (command: string, args: string[]): Promise<void> => new Promise((resolve, reject) => {
	const child = spawn(command, args, {stdio: ['ignore', 'ignore', 'inherit']});
	child.on('close', code => {
		if (code === 0) {
			resolve();
		} else {
			reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
		}
	});
});

try {
	console.log(`bench:peer learning-rate grid, 7 rates x 3 epochs, batch 32, full data; torch ${check.stdout.trim().replace(' ', ', optuna ')}; ${workers} workers/processes`);
	const sweeplab = await wall(async () => exited(process.execPath, [join(root, 'dist/src/cli/main.js'), 'run', join(root, 'bench/sweeps/peer-lr.yaml'), '--db', join(dir, 'sweeplab.db'), '--workers', String(workers)]));
	console.log(`sweeplab (${workers} worker threads): ${sweeplab.toFixed(1)} s`);

	const storage = `sqlite:///${join(dir, 'optuna.db')}`;
	const peer = await wall(async () => {
		await exited(python, ['-c', `import optuna; optuna.create_study(study_name="peer-lr", storage="${storage}", direction="maximize")`]);
		await Promise.all(Array.from({length: workers}, async () => exited(python, [join(root, 'bench/peer/optuna_torch.py'), '--storage', storage, '--study', 'peer-lr', '--data-dir', located.dir])));
	});
	console.log(`Optuna + PyTorch (${workers} processes, one SQLite study): ${peer.toFixed(1)} s`);
	console.log(`sweeplab_s=${sweeplab.toFixed(1)} peer_s=${peer.toFixed(1)} ratio=${(sweeplab / peer).toFixed(2)}`);
} finally {
	rmSync(dir, {recursive: true, force: true});
}
