import test from 'ava';
import {describeConfig, formatValue} from '../../src/sweep/describe.js';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';

test('a config is described by its swept values, mappings such as a schedule included', t => {
	const config = {...DEFAULT_TRIAL_CONFIG, lrSchedule: {kind: 'cosine' as const, warmupEpochs: 1}, learningRate: 0.000_123_456, hidden: [64, 32]};
	t.is(describeConfig(config, ['hidden', 'learningRate', 'lrSchedule']), 'hidden=[64,32] learningRate=1.235e-4 lrSchedule={kind:cosine,warmupEpochs:1}');
	t.is(describeConfig(config, []), 'base');
	t.is(formatValue(null), 'null');
	t.is(formatValue({translate: 2, flip: true}), '{translate:2,flip:true}');
});

test('describeConfig leaves out a conditional parameter that does not apply to the config', t => {
	const parameters = {model: {kind: 'values' as const, values: ['mlp', 'cnn']}, conv: {kind: 'values' as const, values: [[8], [16]], when: {model: ['cnn']}}};
	t.is(describeConfig({model: 'mlp', conv: [16, 32]}, ['conv', 'model'], parameters), 'model=mlp');
	t.is(describeConfig({model: 'cnn', conv: [8]}, ['conv', 'model'], parameters), 'conv=[8] model=cnn');
	t.is(describeConfig({model: 'mlp', conv: [16, 32]}, ['conv', 'model']), 'conv=[16,32] model=mlp');
});
