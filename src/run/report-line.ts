/**
 * The report protocol of program trials: a line on a program's stdout whose first non-blank character is `{`
 * is a report. `{"epoch": 3, "val_accuracy": 0.87, "loss": 0.41}` (or `"step": 3`) is one step; a JSON object
 * without `epoch` or `step` holds final metrics. Python's `json.dumps` writes NaN and Infinity as bare `NaN` /
 * `Infinity` / `-Infinity` and JavaScript's `JSON.stringify` writes them as `null`: both are read back as
 * non-finite numbers, so a diverging program is recorded as diverged rather than as a malformed line.
 */

export type ReportLine =
	| {kind: 'step'; step: number; metrics: Record<string, number>}
	| {kind: 'final'; metrics: Record<string, number>}
	| {kind: 'malformed'; reason: string};

/** Whether a line is meant as a report: its first non-blank byte is `{`. Every other line is plain output. */
export function isReportLine(line: Uint8Array): boolean {
	for (const byte of line) {
		if (byte === 0x7b) {
			return true;
		}

		// Space, tab, carriage return: keep looking.
		if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) {
			return false;
		}
	}

	return false;
}

/**
 * Reads one report line. `metric` is the sweep's metric: a value of it that is not a number is malformed (it
 * would otherwise look like a program that never reports), while other non-numeric values (a phase name, a
 * nested object) are ignored. Whether steps increase is the caller's to check: it knows the previous one.
 */
export function parseReportLine(text: string, metric: string): ReportLine {
	let value: unknown;
	try {
		value = parseJson(text);
	} catch (error) {
		const hint = /'[^']*'\s*:/.test(text) ? ' (single quotes: print json.dumps(...) rather than a Python dict)' : '';
		return {kind: 'malformed', reason: `not JSON: ${(error as Error).message}${hint}`};
	}

	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return {kind: 'malformed', reason: 'not a JSON object'};
	}

	const record = value as Record<string, unknown>;
	const stepKey = 'epoch' in record ? 'epoch' : ('step' in record ? 'step' : undefined);
	const metrics: Record<string, number> = {};
	for (const [name, raw] of Object.entries(record)) {
		if (name === 'epoch' || name === 'step') {
			continue;
		}

		if (typeof raw === 'number') {
			metrics[name] = raw;
		} else if (raw === null) {
			// JSON.stringify(NaN) and JSON.stringify(Infinity) are both null.
			metrics[name] = Number.NaN;
		} else if (name === metric) {
			return {kind: 'malformed', reason: `${metric} is ${JSON.stringify(raw)}, not a number`};
		}
	}

	if (stepKey === undefined) {
		return {kind: 'final', metrics};
	}

	const step = record[stepKey];
	if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) {
		return {kind: 'malformed', reason: `${stepKey} is ${JSON.stringify(step)}; it must be a whole number from 1 up`};
	}

	if (Object.keys(metrics).length === 0) {
		return {kind: 'malformed', reason: `${stepKey} ${step} reports no numeric metric`};
	}

	return {kind: 'step', step, metrics};
}

// Stand-ins for the bare NaN / Infinity tokens JSON lacks; a NUL cannot occur in a JSON string unescaped.
const NON_FINITE: Record<string, number> = {'\u0000NaN': Number.NaN, '\u0000Infinity': Number.POSITIVE_INFINITY, '\u0000-Infinity': Number.NEGATIVE_INFINITY};

/** JSON.parse, also accepting the bare NaN, Infinity and -Infinity tokens Python writes by default. */
function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch (error) {
		if (!/NaN|Infinity/.test(text)) {
			throw error;
		}
	}

	// Quote the bare tokens outside strings, then map them back.
	let out = '';
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (inString) {
			out += c;
			if (c === '\\') {
				out += text[++i] ?? '';
			} else if (c === '"') {
				inString = false;
			}

			continue;
		}

		if (c === '"') {
			inString = true;
			out += c;
			continue;
		}

		const token = ['-Infinity', 'Infinity', 'NaN'].find(name => text.startsWith(name, i));
		if (token) {
			out += JSON.stringify('\u0000' + token);
			i += token.length - 1;
		} else {
			out += c;
		}
	}

	return JSON.parse(out, (_key, value: unknown) => typeof value === 'string' && value in NON_FINITE ? NON_FINITE[value] : value);
}
