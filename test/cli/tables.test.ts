import test from 'ava';
import {type Column, fitTable, terminalWidth} from '../../src/cli/tables.js';

const columns: Column[] = [
	{head: 'rank', align: 'right'},
	{head: 'config', align: 'left', shrink: {comfortable: 20, min: 8, after: 5}},
	{head: 'val acc', align: 'right'},
	{head: 'backend', align: 'left', drop: 9},
	{head: 'params', align: 'right', drop: 6},
	{head: 'test acc', align: 'right', drop: 2},
];
const rows = [
	['1', 'activation=leakyRelu batchSize=32 dropout=0 hidden=[128,128,128]', '88.37%', 'wasm', '55,050', '87.42%'],
	['2', 'activation=relu batchSize=64 dropout=0.1 hidden=[64]', '88.18%', 'wasm', '55,050', '86.46%'],
];
const widest = (text: string) => Math.max(...text.split('\n').map(line => [...line].length));

test('a table that fits is printed whole, without a rule between rows', t => {
	const {text, dropped} = fitTable(columns, rows);
	t.deepEqual(dropped, []);
	t.is(text.split('\n').length, 5, 'top rule, head, two rows, bottom rule');
	t.true(text.includes('hidden=[128,128,128]'));
});

test('a narrow terminal drops the most droppable columns, cuts the config to a comfortable width, then drops the rest', t => {
	const medium = fitTable(columns, rows, 70);
	t.true(widest(medium.text) <= 70, medium.text);
	t.deepEqual(medium.dropped, ['backend', 'params']);
	t.regex(medium.text, /test acc/);
	t.regex(medium.text, /activation=leakyRelu batchSize=32 dro… │/, "cut only as far as needed");

	const narrow = fitTable(columns, rows, 40);
	t.true(widest(narrow.text) <= 40, narrow.text);
	t.deepEqual(narrow.dropped, ['backend', 'params', 'test acc']);
	for (const head of ['rank', 'config', 'val acc']) {
		t.regex(narrow.text, new RegExp(head));
	}

	t.regex(narrow.text, /88\.37%/);
});

test('only a terminal has a width; a pipe gets every column', t => {
	t.is(terminalWidth({isTTY: true, columns: 93}), 93);
	t.is(terminalWidth({isTTY: false, columns: 93}), undefined);
	t.is(terminalWidth({}), undefined);
});
