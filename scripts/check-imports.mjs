#!/usr/bin/env node
/**
 * Keeps the import direction of src/ honest (issue 18): every relative import, `export ... from` and dynamic
 * `import('...')` of src/**\/*.ts is mapped from the top folder (or top-level file) of the importer to that of the
 * imported file, and must not go up the layer table below; import cycles between top folders are refused too.
 * Prints one line per offending import (file, import, rule) and exits 1, else a one-line summary and exits 0.
 *
 * Usage: node scripts/check-imports.mjs [src folder, default ./src]. Plain Node, no dependencies: `npm test`
 * runs it through test/imports.test.ts.
 */
import {readdirSync, readFileSync} from 'node:fs';
import {dirname, join, relative, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

/** Lowest first; a folder may import from its own layer or lower ones. A new top folder must be placed here. */
export const LAYERS = {
	types: 0,
	errors: 0,
	util: 0,
	data: 1,
	sweep: 1,
	store: 2,
	train: 3,
	report: 3,
	samplers: 3,
	pruners: 3,
	run: 4,
	serve: 5,
	cli: 6,
	// src/index.ts: the package's entry point, which re-exports the public API from any layer.
	index: 7,
};

/** Every .ts file under `dir`, sorted, so the output is stable. */
function sourceFiles(dir) {
	return readdirSync(dir, {recursive: true, withFileTypes: true})
		.filter(entry => entry.isFile() && entry.name.endsWith('.ts'))
		.map(entry => join(entry.parentPath ?? entry.path, entry.name))
		.sort();
}

/**
 * The code with its comments blanked out (strings, template literals and regular expressions kept), so that an
 * import shown in a comment is not counted and a `//` inside a string does not hide the rest of a line.
 */
export function stripComments(code) {
	let out = '';
	let i = 0;
	// Open template literals: the brace depth inside each `${ ... }` being read.
	const templates = [];
	let lastSignificant = '';
	const regexMayFollow = () => lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant) || /\b(?:return|typeof|case|do|else|in|of|void|yield|await)$/.test(out.trimEnd());
	while (i < code.length) {
		const c = code[i];
		const next = code[i + 1];
		if (c === '/' && next === '/') {
			while (i < code.length && code[i] !== '\n') {
				out += ' ';
				i++;
			}
		} else if (c === '/' && next === '*') {
			const end = code.indexOf('*/', i + 2);
			const stop = end === -1 ? code.length : end + 2;
			out += code.slice(i, stop).replace(/[^\n]/g, ' ');
			i = stop;
		} else if (c === '\'' || c === '"') {
			let j = i + 1;
			while (j < code.length && code[j] !== c && code[j] !== '\n') {
				j += code[j] === '\\' ? 2 : 1;
			}
			out += code.slice(i, j + 1);
			i = j + 1;
			lastSignificant = c;
		} else if (c === '`' || (c === '}' && templates.length > 0 && templates.at(-1) === 0)) {
			// A template literal's text, from its start or from the end of a `${ }`, to its end or the next `${`.
			if (c === '}') {
				templates.pop();
			}
			let j = i + 1;
			while (j < code.length && code[j] !== '`' && !(code[j] === '$' && code[j + 1] === '{')) {
				j += code[j] === '\\' ? 2 : 1;
			}
			if (code[j] === '$') {
				templates.push(0);
				out += code.slice(i, j + 2);
				i = j + 2;
			} else {
				out += code.slice(i, j + 1);
				i = j + 1;
			}
			lastSignificant = '`';
		} else if (c === '/' && regexMayFollow()) {
			let j = i + 1;
			let inClass = false;
			while (j < code.length && code[j] !== '\n' && (inClass || code[j] !== '/')) {
				if (code[j] === '[') {
					inClass = true;
				} else if (code[j] === ']') {
					inClass = false;
				}
				j += code[j] === '\\' ? 2 : 1;
			}
			out += code.slice(i, j + 1);
			i = j + 1;
			lastSignificant = '/';
		} else {
			if (templates.length > 0 && c === '{') {
				templates[templates.length - 1]++;
			} else if (templates.length > 0 && c === '}') {
				templates[templates.length - 1]--;
			}
			out += c;
			if (!/\s/.test(c)) {
				lastSignificant = c;
			}
			i++;
		}
	}
	return out;
}

const STATIC = /\b(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\bfrom\s*)?(['"])(\.{1,2}\/[^'"\n]+)\1/g;
const DYNAMIC = /\bimport\s*\(\s*(['"])(\.{1,2}\/[^'"\n]+)\1\s*\)/g;

/** The relative specifiers a file imports, with their line numbers. */
export function relativeImports(code) {
	const stripped = stripComments(code);
	const found = [];
	for (const pattern of [STATIC, DYNAMIC]) {
		for (const match of stripped.matchAll(pattern)) {
			const at = match.index + match[0].lastIndexOf(match[2]);
			found.push({specifier: match[2], line: stripped.slice(0, at).split('\n').length});
		}
	}
	return found.sort((a, b) => a.line - b.line);
}

/** `cli` for src/cli/run.ts, `types` for src/types.ts; undefined for a path outside src. */
function topOf(srcDir, file) {
	const path = relative(srcDir, file);
	if (path.startsWith('..') || path === '') {
		return undefined;
	}
	const [first, ...rest] = path.split(sep);
	return rest.length > 0 ? first : first.replace(/\.[cm]?[jt]s$/, '');
}

/** Strongly connected components of more than one folder (Tarjan), each sorted, as the cycles of the graph. */
function cycles(graph) {
	const index = new Map();
	const low = new Map();
	const stack = [];
	const onStack = new Set();
	const found = [];
	let counter = 0;
	const visit = node => {
		index.set(node, counter);
		low.set(node, counter);
		counter++;
		stack.push(node);
		onStack.add(node);
		for (const next of graph.get(node) ?? []) {
			if (!index.has(next)) {
				visit(next);
				low.set(node, Math.min(low.get(node), low.get(next)));
			} else if (onStack.has(next)) {
				low.set(node, Math.min(low.get(node), index.get(next)));
			}
		}
		if (low.get(node) === index.get(node)) {
			const component = [];
			let member;
			do {
				member = stack.pop();
				onStack.delete(member);
				component.push(member);
			} while (member !== node);
			if (component.length > 1) {
				found.push(component.sort());
			}
		}
	};
	for (const node of [...graph.keys()].sort()) {
		if (!index.has(node)) {
			visit(node);
		}
	}
	return found;
}

/**
 * Check the tree under `srcDir`. Returns the offending lines (empty when the tree is fine) and counts for the summary.
 * `shown(file)` is how a file is named in the lines (default: relative to the working directory).
 */
export function checkImports(srcDir, shown = file => relative(process.cwd(), file)) {
	const problems = [];
	const edges = [];
	const files = sourceFiles(srcDir);
	const unplaced = new Set();
	for (const file of files) {
		const from = topOf(srcDir, file);
		if (!(from in LAYERS) && !unplaced.has(from)) {
			unplaced.add(from);
			problems.push(`${shown(file)}: ${from} is not in the layer table of scripts/check-imports.mjs (place it there, with the layers of HELPERS.md / issue 18)`);
		}
		for (const {specifier, line} of relativeImports(readFileSync(file, 'utf8'))) {
			const target = resolve(dirname(file), specifier);
			const to = topOf(srcDir, target);
			const where = `${shown(file)}:${line}: import '${specifier}'`;
			if (to === undefined) {
				problems.push(`${where}: reaches outside src/ (src imports only src)`);
				continue;
			}
			if (to === from) {
				continue;
			}
			edges.push({from, to, where});
			if (from in LAYERS && to in LAYERS && LAYERS[to] > LAYERS[from]) {
				problems.push(`${where}: ${from} (layer ${LAYERS[from]}) imports ${to} (layer ${LAYERS[to]}); a folder imports only from its own layer or lower`);
			}
		}
	}

	const graph = new Map();
	for (const {from, to} of edges) {
		graph.set(from, new Set([...(graph.get(from) ?? []), to]));
	}
	const loops = cycles(graph);
	for (const component of loops) {
		const inside = new Set(component);
		const links = edges.filter(edge => inside.has(edge.from) && inside.has(edge.to));
		problems.push(`import cycle between ${component.join(', ')}: ${links.map(link => `${link.where} (${link.from} -> ${link.to})`).join('; ')}`);
	}
	return {problems, files: files.length, imports: edges.length, cycles: loops.length};
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
	const srcDir = resolve(process.argv[2] ?? 'src');
	const {problems, files, imports} = checkImports(srcDir);
	if (problems.length > 0) {
		process.stderr.write(problems.map(line => `check-imports: ${line}`).join('\n') + '\n');
		process.exitCode = 1;
	} else {
		process.stdout.write(`check-imports: ${files} files, ${imports} imports between folders, none against the layers, no cycles\n`);
	}
}
