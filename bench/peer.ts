/**
 * sweeplab against an Optuna + PyTorch peer on the same learning-rate grid (7 rates, 3 epochs, batch 32, the
 * full data), in one run: sweeplab with 2 workers, then 2 Python processes sharing one SQLite Optuna study,
 * alternating for `--rounds` rounds. Each side runs one compute thread per worker (the peer with
 * torch.set_num_threads(1) and OPENBLAS_NUM_THREADS=1). Prints the BLAS library the peer's torch loaded (Debian's
 * torch runs on whatever libblas.so.3 points to: the reference BLAS is ~4x slower than OpenBLAS), each run's
 * wall time and trainings, and the median ratio. Needs python3 with torch and optuna (Debian: python3-torch,
 * python3-optuna, and libopenblas0-pthread for a fast BLAS) and the full dataset.
 *
 *   npm run bench:peer [-- --workers 2 --rounds 3]
 */
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import Database from 'better-sqlite3';
import {getDatasetEntry} from '../src/data/registry.js';
import {locateDataset} from '../src/data/locate.js';
import {findPeerPython, machineLine, median, PEER_ENV, referenceBlasWarning} from './common.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const {values} = parseArgs({options: {workers: {type: 'string', default: '2'}, rounds: {type: 'string', default: '1'}}});
const workers = Number(values.workers);
const rounds = Number(values.rounds);
const peer = findPeerPython();
if (!('python' in peer)) {
	console.error(`bench:peer needs python3 with torch and optuna (on Debian: apt-get install python3-torch python3-optuna; or set PYTHON); tried ${peer.tried.join(', ')}`);
	process.exit(1);
}

const {python, versions} = peer;

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
	const child = spawn(command, args, {stdio: ['ignore', 'ignore', 'inherit'], env: PEER_ENV});
	child.on('close', code => {
		if (code === 0) {
			resolve();
		} else {
			reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
		}
	});
});

/** Trials sweeplab trained to the end. */
const sweeplabTrainings = (file: string): number => {
	const db = new Database(file, {readonly: true});
	try {
		return (db.prepare(`SELECT count(*) AS n FROM trials WHERE state = 'completed'`).get() as {n: number}).n;
	} finally {
		db.close();
	}
};

/** Trainings the peer ran to the end (a grid point handed out twice is skipped as pruned). */
const peerTrainings = (storage: string): number => Number(spawnSync(python, ['-c', `import optuna; print(sum(t.state == optuna.trial.TrialState.COMPLETE for t in optuna.load_study(study_name="peer-lr", storage="${storage}").trials))`], {encoding: 'utf8', env: PEER_ENV}).stdout.trim());

try {
	console.log(`bench:peer learning-rate grid, 7 rates x 3 epochs, batch 32, full data; ${workers} workers/processes; ${machineLine()}; torch ${versions}`);
	const warning = referenceBlasWarning(versions);
	if (warning) {
		console.log(warning);
	}

	const ratios: number[] = [];
	for (let round = 1; round <= rounds; round++) {
		const tag = `${round}`;
		// eslint-disable-next-line no-await-in-loop
		const sweeplab = await wall(async () => exited(process.execPath, [join(root, 'dist/src/cli/main.js'), 'run', join(root, 'bench/sweeps/peer-lr.yaml'), '--db', join(dir, `sweeplab-${tag}.db`), '--workers', String(workers)]));
		console.log(`round ${round}: sweeplab (${workers} worker threads): ${sweeplab.toFixed(1)} s, ${sweeplabTrainings(join(dir, `sweeplab-${tag}.db`))} trainings`);
		const storage = `sqlite:///${join(dir, `optuna-${tag}.db`)}`;
		// eslint-disable-next-line no-await-in-loop
		const peer = await wall(async () => {
			await exited(python, ['-c', `import optuna; optuna.logging.set_verbosity(optuna.logging.WARNING); optuna.create_study(study_name="peer-lr", storage="${storage}", direction="maximize")`]);
			await Promise.all(Array.from({length: workers}, async () => exited(python, [join(root, 'bench/peer/optuna_torch.py'), '--storage', storage, '--study', 'peer-lr', '--data-dir', located.dir])));
		});
		// GridSampler can hand a point to two processes at once; the peer skips the second, and this counts what it trained.
		console.log(`round ${round}: Optuna + PyTorch (${workers} processes, one SQLite study): ${peer.toFixed(1)} s, ${peerTrainings(storage)} trainings`);
		ratios.push(sweeplab / peer);
	}

	console.log(`ratio=${median(ratios).toFixed(2)} (sweeplab / peer wall time, median of ${rounds} round${rounds === 1 ? '' : 's'}: ${ratios.map(ratio => ratio.toFixed(2)).join(', ')})`);
} finally {
	rmSync(dir, {recursive: true, force: true});
}
