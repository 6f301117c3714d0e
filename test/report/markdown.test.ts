import test from 'ava';
import {markdownTable, tradeoffStatement} from '../../src/report/markdown.js';
import {tradeoff} from '../../src/report/ranking.js';
import {configRow} from './helpers.js';

const label = (config: Record<string, unknown>) => `hidden=[${(config.hidden as number[]).join(',')}]`;

test('the statement names the best, the fastest within the margin with its share of the time, and the front', t => {
	const text = tradeoffStatement(
		tradeoff([configRow('aaaa', [0.9, 0.902], [30, 30]), configRow('bb', [0.897, 0.899], [10, 10]), configRow('c', [0.7, 0.702], [50, 50])]),
		label,
	);
	t.regex(text, /best validation accuracy is \*\*90\.10% ± 0\.14\*\* \(`hidden=\[4\]`\) in 30\.0 s/);
	t.regex(text, /`hidden=\[2\]` reaches 89\.80% \(0\.30 points less\) in a third of the time \(10\.0 s\)/);
	t.regex(text, /2 of 3 configs are on the Pareto front/);
	t.notRegex(text, /tied/);
});

test('the statement says which configs it cannot tell apart, and when there is nothing to rank', t => {
	const text = tradeoffStatement(tradeoff([configRow('aaaa', [0.9, 0.92], [30, 30]), configRow('bb', [0.89, 0.905], [10, 10])]), label);
	t.regex(text, /tied with `hidden=\[2\]`/);
	t.regex(tradeoffStatement(tradeoff([configRow('nan', [Number.NaN], [1])]), label), /nothing to rank/);
});

test('markdown tables escape pipes and align numbers right', t => {
	t.is(markdownTable(['a', 'b'], [['x|y', '1']], ['left', 'right']), '| a | b |\n|---|---:|\n| x\\|y | 1 |');
});
