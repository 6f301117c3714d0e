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

test('the statement says when the fastest config or the knee is faster only within the spread of the timings', t => {
	const label2 = (config: Record<string, unknown>) => `h${(config.hidden as number[])[0]}`;
	const best = configRow('best', [0.9, 0.902], [40, 60]);
	const near = configRow('near', [0.899, 0.9], [30, 44]);
	const close = configRow('close', [0.898, 0.9], [36, 50]);
	const noisy = tradeoffStatement(tradeoff([best, near, close]), label2);
	t.regex(noisy, /`h4` reaches .* the fastest config within 0\.5 points of the best/);
	t.regex(noisy, /Its time is within the spread of the best config's repeats \(37\.0 ± 9\.9 s against 50\.0 ± 14\.1 s\), so it is not measurably faster\./);
	t.regex(noisy, /By mean time `h4` is the fastest within the margin, but `h5` \(43\.0 ± 9\.9 s\) is within the spread of its repeats .*: the timings cannot tell which of them is fastest\./);
	const clear = tradeoffStatement(tradeoff([best, configRow('apart', [0.899, 0.9], [10, 12])]), label2);
	t.notRegex(clear, /spread of the best config's repeats|cannot tell which/);
	t.regex(tradeoffStatement(tradeoff([configRow('a', [0.9], [40]), configRow('bb', [0.899], [30])]), label2), /timed once, so there is no spread to judge time differences by/);
});

test('the statement says when the knee saves time only within the spread of the timings', t => {
	const label2 = (config: Record<string, unknown>) => `h${(config.hidden as number[])[0]}`;
	const rows = (kneeSeconds: number[]) => [configRow('best', [0.9, 0.902], [40, 60]), configRow('kn', [0.896, 0.898], kneeSeconds), configRow('f', [0.8, 0.802], [5, 5])];
	t.regex(tradeoffStatement(tradeoff(rows([30, 44])), label2), /The knee of the front is `h2`: 89\.70% in 37\.0 s; beyond it, accuracy costs 32\.5 s per point\. Its time is within the spread of the best config's repeats \(37\.0 ± 9\.9 s against 50\.0 ± 14\.1 s\), so the bend is inside the noise of the timings\./);
	t.notRegex(tradeoffStatement(tradeoff(rows([10, 12])), label2), /bend is inside the noise/);
});
