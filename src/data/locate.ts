/** Where dataset files are looked for, in order, and whether a directory holds a complete set. */
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {homedir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {FILE_ROLES, type DatasetEntry, type FileRole} from './registry.js';

export const DEBIAN_PACKAGE = 'dataset-fashion-mnist';
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export type DirSource = 'data-dir' | 'cache' | 'debian' | 'bundled';

export interface SearchDir {
	dir: string;
	source: DirSource;
}

export interface LocateOptions {
	/** Searched first (the CLI fills it from --data-dir); SWEEPLAB_DATA_DIR when absent. */
	dataDir?: string;
	/** Replaces the user cache dir computed from the environment (tests, never ~/.cache). */
	cacheDir?: string;
	/** Replaces asking dpkg where the Debian package put its files. */
	debianDirs?: readonly string[];
	/** Replaces data/<name>/ in the repository for a bundled dataset. */
	bundledDir?: string;
	/** Environment to read SWEEPLAB_* and XDG_CACHE_HOME from; process.env when absent. */
	env?: NodeJS.ProcessEnv;
	homeDir?: string;
}

export interface Located {
	dir: string;
	source: DirSource;
	/** Absolute path of each file, gzipped or not, as found. */
	files: Record<FileRole, string>;
}

let root: string | undefined;

/**
 * The sweeplab package root. Compiled code runs from dist/src/data/, three levels down, but walking up
 * to our package.json also works from src/ and from wherever a bundler puts us.
 */
export function packageRoot(): string {
	if (root !== undefined) return root;
	const here = dirname(fileURLToPath(import.meta.url));
	for (let dir = here; ; dir = dirname(dir)) {
		const manifest = join(dir, 'package.json');
		if (existsSync(manifest)) {
			try {
				if ((JSON.parse(readFileSync(manifest, 'utf8')) as {name?: unknown}).name === 'sweeplab') return (root = dir);
			} catch {
				// Not ours; keep walking.
			}
		}
		if (dirname(dir) === dir) break;
	}
	return (root = resolve(here, '../../..'));
}

/**
 * `$SWEEPLAB_CACHE_DIR/<name>`, else `$XDG_CACHE_HOME/sweeplab/<name>`, else `~/.cache/sweeplab/<name>`.
 * SWEEPLAB_CACHE_DIR replaces the sweeplab cache root, so one variable serves every dataset.
 */
export function userCacheDir(name: string, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
	if (env.SWEEPLAB_CACHE_DIR) return resolve(env.SWEEPLAB_CACHE_DIR, name);
	if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, 'sweeplab', name);
	return resolve(home, '.cache', 'sweeplab', name);
}

let debianDirs: string[] | undefined;

/** Directories the Debian package installed IDX files into, per dpkg; the known path when dpkg cannot tell. */
export function debianDatasetDirs(): string[] {
	if (debianDirs !== undefined) return debianDirs;
	const result = spawnSync('dpkg', ['-L', DEBIAN_PACKAGE], {encoding: 'utf8', timeout: 10_000});
	const dirs = new Set<string>();
	if (result.status === 0) {
		for (const line of result.stdout.split('\n')) {
			if (/-ubyte(\.gz)?$/.test(line.trim())) dirs.add(dirname(line.trim()));
		}
	}
	if (dirs.size === 0) dirs.add(DEBIAN_DIR);
	return (debianDirs = [...dirs]);
}

/** The directories a dataset is looked for in, in search order, without duplicates. */
export function searchDirs(entry: DatasetEntry, options: LocateOptions = {}): SearchDir[] {
	if (entry.location === 'bundled') {
		return [{dir: resolve(options.bundledDir ?? join(packageRoot(), 'data', entry.name)), source: 'bundled'}];
	}
	const env = options.env ?? process.env;
	const candidates: SearchDir[] = [];
	const dataDir = options.dataDir ?? (env.SWEEPLAB_DATA_DIR || undefined);
	if (dataDir !== undefined) candidates.push({dir: resolve(dataDir), source: 'data-dir'});
	candidates.push({dir: resolve(options.cacheDir ?? userCacheDir(entry.name, env, options.homeDir)), source: 'cache'});
	for (const dir of options.debianDirs ?? debianDatasetDirs()) candidates.push({dir: resolve(dir), source: 'debian'});
	const seen = new Set<string>();
	return candidates.filter(({dir}) => !seen.has(dir) && seen.add(dir));
}

function isFile(path: string): boolean {
	try {
		return statSync(path).isFile();
	} catch {
		return false;
	}
}

/** The path of one file in `dir` under its gzipped or its uncompressed name, if either exists. */
export function findFile(entry: DatasetEntry, role: FileRole, dir: string): string | undefined {
	const gz = join(dir, entry.files[role].name);
	if (isFile(gz)) return gz;
	const raw = gz.replace(/\.gz$/, '');
	return isFile(raw) ? raw : undefined;
}

/** The four files in `dir`, or undefined unless all four are there. */
export function datasetFiles(entry: DatasetEntry, dir: string): Record<FileRole, string> | undefined {
	const found: Partial<Record<FileRole, string>> = {};
	for (const role of FILE_ROLES) {
		const path = findFile(entry, role, dir);
		if (path === undefined) return undefined;
		found[role] = path;
	}
	return found as Record<FileRole, string>;
}

/** The first directory in search order that holds all four files. */
export function locateDataset(entry: DatasetEntry, options: LocateOptions = {}): Located | undefined {
	for (const {dir, source} of searchDirs(entry, options)) {
		const files = datasetFiles(entry, dir);
		if (files !== undefined) return {dir, source, files};
	}
	return undefined;
}
