/**
 * The files the dashboard serves: its own assets (hand-written ES modules, CSS, HTML) and the Vega bundles
 * from the installed packages. Nothing comes from a CDN: the machine may be offline. A request names a file
 * inside one of these folders or gets a 404; no path, however encoded, reaches outside them.
 */
import {createHash} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, extname, join, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import {ServeError} from '../errors.js';
import {gzipSync} from 'node:zlib';

export interface StaticFile {
	body: Buffer;
	/** The body gzipped once, for clients that accept it. */
	gzipped: Buffer;
	type: string;
	/** A strong validator of the body: a browser that has it revalidates with If-None-Match and gets a 304. */
	etag: string;
}

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
};

/**
 * The assets folder beside this module: the build (scripts/copy-assets.mjs) copies src/serve/assets to
 * dist/src/serve/assets.
 * @throws ServeError when the copy is missing (tsc was run without the copy step).
 */
export function assetsFolder(): string {
	const folder = fileURLToPath(new URL('./assets/', import.meta.url));
	if (!existsSync(join(folder, 'index.html'))) {
		throw new ServeError(`the dashboard's page is missing from ${folder}; build with npm run build (tsc alone does not copy it)`);
	}

	return folder;
}

/** The package's entry file resolved the way Node resolves it; the bundles we serve sit beside it in build/. */
function besideEntry(pkg: string, file: string): string {
	return join(dirname(fileURLToPath(import.meta.resolve(pkg))), file);
}

/**
 * /vendor/<name> -> a file of an installed package. vega-interpreter evaluates Vega expressions without
 * `new Function`, so the Content-Security-Policy needs no 'unsafe-eval'; it is an ES module importing
 * vega-util by bare name, which the browser cannot resolve, so that import is pointed at a shim over the
 * vega bundle's global (assets/vega-util.js).
 */
const VENDOR: Record<string, () => {path: string; rewrite?: (text: string) => string}> = {
	'vega.min.js': () => ({path: besideEntry('vega', 'vega.min.js')}),
	'vega-lite.min.js': () => ({path: besideEntry('vega-lite', 'vega-lite.min.js')}),
	'vega-embed.min.js': () => ({path: besideEntry('vega-embed', 'vega-embed.min.js')}),
	'vega-interpreter.js': () => ({
		path: besideEntry('vega-interpreter', 'vega-interpreter.js'),
		rewrite: text => text.replaceAll(/from\s+['"]vega-util['"]/g, "from '/assets/vega-util.js'"),
	}),
};

/**
 * A file under `folder` named by the URL path `rest` (still percent-encoded), or undefined. Refuses anything
 * that decodes to a parent segment, an absolute path, a backslash or a NUL, and re-checks that the resolved path
 * is inside the folder, so `/../../etc/passwd`, `%2e%2e%2f` and `..%5c` variants all miss.
 */
export function safeJoin(folder: string, rest: string): string | undefined {
	let decoded: string;
	try {
		decoded = decodeURIComponent(rest);
	} catch {
		return undefined;
	}

	if (decoded.length === 0 || /[\\\0]/.test(decoded) || decoded.startsWith('/')) {
		return undefined;
	}

	const segments = decoded.split('/');
	if (segments.some(segment => segment === '..' || segment === '.' || segment === '')) {
		return undefined;
	}

	const root = folder.endsWith(sep) ? folder : folder + sep;
	const path = join(root, ...segments);
	return path.startsWith(root) && TYPES[extname(path)] ? path : undefined;
}

/** Reads each file once: assets are part of the installed package and do not change while serving. */
export class StaticFiles {
	readonly #assets: string;
	readonly #cache = new Map<string, StaticFile | undefined>();

	constructor(assets = assetsFolder()) {
		this.#assets = assets;
	}

	/** `/assets/...` or `/vendor/...`; undefined for anything else (a 404). */
	get(urlPath: string): StaticFile | undefined {
		if (this.#cache.has(urlPath)) {
			return this.#cache.get(urlPath);
		}

		const file = this.#load(urlPath);
		this.#cache.set(urlPath, file);
		return file;
	}

	#load(urlPath: string): StaticFile | undefined {
		if (urlPath.startsWith('/vendor/')) {
			const vendor = Object.hasOwn(VENDOR, urlPath.slice('/vendor/'.length)) ? VENDOR[urlPath.slice('/vendor/'.length)]() : undefined;
			if (!vendor) {
				return undefined;
			}

			const text = readFileSync(vendor.path, 'utf8');
			return file(Buffer.from(vendor.rewrite ? vendor.rewrite(text) : text), TYPES['.js']);
		}

		if (!urlPath.startsWith('/assets/')) {
			return undefined;
		}

		const path = safeJoin(this.#assets, urlPath.slice('/assets/'.length));
		if (!path || !existsSync(path)) {
			return undefined;
		}

		try {
			return file(readFileSync(path), TYPES[extname(path)]);
		} catch {
			// A directory named like a file, or unreadable: the same 404 as a missing file.
			return undefined;
		}
	}
}

function file(body: Buffer, type: string): StaticFile {
	return {body, gzipped: gzipSync(body), type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`};
}
