#!/usr/bin/env node
// tsc compiles only TypeScript: this copies the other files the code reads at run time (SQL migrations, and the
// dashboard's page in src/serve/assets) from src/ to the same place under dist/src/, and removes copies whose source is
// gone so a stale migration can never load. Plain Node, no dependencies: it runs in `npm run build`,
// `prepare` and `test`, right after tsc.
import {copyFileSync, mkdirSync, readdirSync, rmSync} from 'node:fs';
import {dirname, extname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';

/** Extensions of the files to copy; add one here when src/ gains a new kind of asset. */
const EXTENSIONS = new Set(['.sql']);
/**
 * Inside an `assets` folder (the dashboard's hand-written page), these too. Only there: dist/src is full of
 * compiled .js files that have no .js source and must never count as stale copies.
 */
const ASSET_EXTENSIONS = new Set(['.html', '.css', '.js', '.svg']);
const wantedFile = (path, name) => EXTENSIONS.has(extname(name)) || (ASSET_EXTENSIONS.has(extname(name)) && path.split(/[\\/]/).includes('assets'));

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'src');
const target = join(root, 'dist', 'src');

/** Every asset file below `folder`, as paths relative to it. */
function assets(folder) {
	let entries;
	try {
		entries = readdirSync(folder, {withFileTypes: true, recursive: true});
	} catch (error) {
		if (error.code === 'ENOENT') {
			return [];
		}

		throw error;
	}

	return entries
		.filter(entry => entry.isFile() && wantedFile(relative(folder, entry.parentPath), entry.name))
		.map(entry => relative(folder, join(entry.parentPath, entry.name)))
		.sort();
}

const wanted = assets(source);
const keep = new Set(wanted);
for (const stale of assets(target).filter(file => !keep.has(file))) {
	rmSync(join(target, stale));
}

for (const file of wanted) {
	mkdirSync(dirname(join(target, file)), {recursive: true});
	copyFileSync(join(source, file), join(target, file));
}

console.log(`copy-assets: ${wanted.length} file${wanted.length === 1 ? '' : 's'} (${[...EXTENSIONS].join(', ')}; ${[...ASSET_EXTENSIONS].join(', ')} in assets/) from src/ to dist/src/`);
