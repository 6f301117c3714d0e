import test from 'ava';
import {isReportLine, parseReportLine} from '../../src/run/report-line.js';

test('a line is a report when its first non-blank character is {', t => {
	t.true(isReportLine(Buffer.from('{"epoch": 1}')));
	t.true(isReportLine(Buffer.from(' \t{')));
	t.false(isReportLine(Buffer.from('epoch 1 {"a": 1}')));
	t.false(isReportLine(Buffer.from('[1, 2]')));
	t.false(isReportLine(Buffer.from('')));
});

test('epoch or step makes a step; other numeric values are metrics, other values ignored', t => {
	t.deepEqual(parseReportLine('{"epoch": 3, "val_accuracy": 0.87, "loss": 0.41, "phase": "val"}', 'val_accuracy'), {kind: 'step', step: 3, metrics: {val_accuracy: 0.87, loss: 0.41}});
	t.deepEqual(parseReportLine('{"step": 10, "loss": 2}', 'val_accuracy'), {kind: 'step', step: 10, metrics: {loss: 2}});
	// epoch wins over step when both are there.
	t.deepEqual(parseReportLine('{"epoch": 2, "step": 400, "loss": 1}', 'loss'), {kind: 'step', step: 2, metrics: {loss: 1}});
	t.deepEqual(parseReportLine('{"test_accuracy": 0.8, "note": "done"}', 'val_accuracy'), {kind: 'final', metrics: {test_accuracy: 0.8}});
});

test('NaN and Infinity as Python writes them (bare) and as JSON.stringify writes them (null)', t => {
	const python = parseReportLine('{"epoch": 1, "loss": NaN, "a": Infinity, "b": -Infinity, "text": "NaN stays text"}', 'loss');
	t.deepEqual(python, {kind: 'step', step: 1, metrics: {loss: Number.NaN, a: Number.POSITIVE_INFINITY, b: Number.NEGATIVE_INFINITY}});
	t.deepEqual(parseReportLine('{"epoch": 1, "loss": null}', 'loss'), {kind: 'step', step: 1, metrics: {loss: Number.NaN}});
});

test('malformed lines say why', t => {
	const reason = (line: string) => {
		const report = parseReportLine(line, 'acc');
		return report.kind === 'malformed' ? report.reason : report.kind;
	};

	t.regex(reason('{\'epoch\': 1, \'acc\': 0.5}'), /^not JSON: .*single quotes/);
	t.regex(reason('{"epoch": 1, "acc": 0.5'), /^not JSON/);
	t.regex(reason('{"epoch": 1, "acc": NaNa}'), /^not JSON/);
	t.is(reason('{"epoch": 1, "acc": "0.5"}'), 'acc is "0.5", not a number');
	t.is(reason('{"epoch": 0, "acc": 0.5}'), 'epoch is 0; it must be a whole number from 1 up');
	t.is(reason('{"step": 1.5, "acc": 0.5}'), 'step is 1.5; it must be a whole number from 1 up');
	t.is(reason('{"epoch": "1", "acc": 0.5}'), 'epoch is "1"; it must be a whole number from 1 up');
	t.is(reason('{"epoch": 2}'), 'epoch 2 reports no numeric metric');
});
