/**
 * The optimizers of the sweep format, in one place: makeOptimizer builds tfjs' own (the layers path),
 * makeArrayOptimizer the same rules over Float32Arrays (the lean and SIMD paths). On wasm at batch 32 the
 * ~100 small kernels per step of a tfjs optimizer cost more than the network itself; the same update as one
 * SIMD kernel call per weight array (kernels/simd.c) takes ~1 ns a weight, with plain JS loops as the
 * fallback where WebAssembly SIMD is missing. Each array rule copies tfjs 4.22's applyGradients (same
 * defaults, same epsilon placement, same bias correction); a test checks both forms of every one against
 * tfjs step by step.
 */
import type * as TF from '@tensorflow/tfjs';
import type {OptimizerName, TrialConfig, WeightDecayMode} from '../../types.js';
import type {Tf} from '../backend.js';
import type {StateReader, StateWriter} from '../checkpoint.js';
import {at, KernelArena, kernelsAvailable} from '../kernels/load.js';

export interface ArrayOptimizer {
	/**
	 * Updates every parameter in place from its gradient; params[i] and grads[i] have equal length. With L2
	 * weight decay the gradients are changed too (wd p added).
	 */
	update(params: Float32Array[], grads: Float32Array[]): void;
	/** The learning rate of the updates from now on (a schedule's). */
	setLearningRate(rate: number): void;
	/** Writes the per-weight slots and the bias-correction powers (sections `optimizer/...`) for parameters like `params`. */
	saveState(state: StateWriter, params: Float32Array[]): void;
	/** Restores what saveState wrote, before or after the first update. Throws CheckpointError when the sections do not fit `params`. */
	loadState(state: StateReader, params: Float32Array[]): void;
}

const slotName = (slot: number, k: number): string => `optimizer/slot${slot}/${k}`;

/**
 * Weight decay on every optimizer, as PyTorch and Keras apply it to every trainable weight by default:
 * `decoupled` (AdamW's rule, Loshchilov and Hutter) shrinks each weight by lr wd p before the optimizer's step,
 * with the step's (scheduled) learning rate; `l2` adds wd p to the gradient before the step (PyTorch's
 * `weight_decay`, the gradient of (wd / 2) |p|^2), so adaptive optimizers rescale it like the loss's gradient.
 */
export interface WeightDecay {
	rate: number;
	mode: WeightDecayMode;
}

/** Keras' (and tfjs') defaults: Adam's and Adamax' betas (epsilon is the backend's), momentum, RMSprop's rho, Adagrad's initial accumulator. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const MOMENTUM = 0.9;
const RMSPROP_DECAY = 0.9;
const ADAGRAD_INITIAL = 0.1;

/** tfjs' optimizer of a config with the defaults above (which tfjs' own defaults equal), for the layers path. */
export function makeOptimizer(tf: Tf, name: OptimizerName, learningRate: number): TF.Optimizer {
	switch (name) {
		case 'adam': {
			return tf.train.adam(learningRate);
		}

		case 'sgd': {
			return tf.train.sgd(learningRate);
		}

		case 'momentum': {
			return tf.train.momentum(learningRate, MOMENTUM);
		}

		case 'rmsprop': {
			return tf.train.rmsprop(learningRate, RMSPROP_DECAY);
		}

		case 'adagrad': {
			return tf.train.adagrad(learningRate, ADAGRAD_INITIAL);
		}

		case 'adamax': {
			return tf.train.adamax(learningRate);
		}
	}
}

/** Per-weight state arrays each optimizer keeps, as tfjs' slot variables. */
const SLOTS: Record<OptimizerName, number> = {sgd: 0, momentum: 1, rmsprop: 1, adagrad: 1, adam: 2, adamax: 2};

/** Floats of optimizer state for parameters of these lengths, to reserve in a KernelArena that the optimizer will share. */
export function optimizerStateLengths(name: OptimizerName, lengths: number[]): number[] {
	return Array.from({length: SLOTS[name]}, () => lengths).flat();
}

/** A config's weight decay, for makeArrayOptimizer. */
export const weightDecayOf = (config: TrialConfig): WeightDecay => ({rate: config.weightDecay, mode: config.weightDecayMode});

/** tfjs' optimizers keep their rate in `learningRate`, read at every step; sgd and momentum also cache it as a scalar that setLearningRate renews. */
export function setOptimizerLearningRate(optimizer: TF.Optimizer, rate: number): void {
	const settable = optimizer as unknown as {learningRate: number; setLearningRate?(rate: number): void};
	if (settable.setLearningRate) {
		settable.setLearningRate(rate);
	} else {
		settable.learningRate = rate;
	}
}

/**
 * @param epsilon the backend's epsilon (`tf.backend().epsilon()`, 1e-7 on float32 backends), which
 * tfjs' adam, adamax, rmsprop and adagrad use when none is given.
 * @param options.simd false: plain JS loops even where the kernels run.
 * @param options.arena the arena that holds the parameters and gradients (with room for
 * optimizerStateLengths), so updates run in place; without it the optimizer copies into its own.
 * @param options.weightDecay off when absent or its rate is 0.
 */
export function makeArrayOptimizer(name: OptimizerName, learningRate: number, epsilon: number, options: {simd?: boolean; arena?: KernelArena; weightDecay?: WeightDecay} = {}): ArrayOptimizer {
	const decay = options.weightDecay?.rate ? options.weightDecay : undefined;
	if (options.arena ?? (options.simd !== false && kernelsAvailable())) {
		return new KernelOptimizer(name, learningRate, epsilon, options.arena, decay);
	}

	return new LoopOptimizer(loopRule(name, epsilon), learningRate, decay);
}

/** Bias-correction powers as tfjs keeps them: they start at beta (not 1) and are raised after each step. */
class Powers {
	/** Saved and restored as it is: recomputing beta^t would round differently from the repeated products. */
	power: number;

	constructor(private readonly beta: number) {
		this.power = beta;
	}

	/** The current power, then raise it. */
	take(): number {
		const power = this.power;
		this.power *= this.beta;
		return power;
	}
}

/** The update as kernel calls on arrays in a KernelArena: in place in a shared arena, else through copies in its own. */
class KernelOptimizer implements ArrayOptimizer {
	private arena: KernelArena | undefined;
	private readonly copies: boolean;
	private state: Array<{p: Float32Array; g: Float32Array; slots: Float32Array[]}> = [];
	/** Slots restored before the first update laid the state out: copied in then. */
	private pending: Float32Array[][] | undefined;
	private readonly beta1 = new Powers(BETA1);
	private readonly beta2 = new Powers(BETA2);

	constructor(private readonly name: OptimizerName, private learningRate: number, private readonly epsilon: number, shared?: KernelArena, private readonly decay?: WeightDecay) {
		this.arena = shared;
		this.copies = !shared;
	}

	setLearningRate(rate: number): void {
		this.learningRate = rate;
	}

	update(params: Float32Array[], grads: Float32Array[]): void {
		if (this.state.length !== params.length) {
			this.layOut(params, grads);
		}

		const {kernels} = this.arena!;
		const {learningRate: rate, epsilon} = this;
		// Adam hoists its bias corrections: sqrt(v / c2) = sqrt(v) / sqrt(c2), equal up to rounding.
		const step = this.name === 'adam' || this.name === 'adamax' ? rate / (1 - this.beta1.take()) : 0;
		const rootCorrection2 = this.name === 'adam' ? 1 / Math.sqrt(1 - this.beta2.take()) : 0;
		for (const [k, {p, g, slots}] of this.state.entries()) {
			if (this.copies) {
				p.set(params[k]);
				g.set(grads[k]);
			}

			const n = p.length;
			if (this.decay?.mode === 'decoupled') {
				kernels.decay_weights(at(p), n, 1 - (rate * this.decay.rate));
			} else if (this.decay?.mode === 'l2') {
				kernels.add_l2_gradient(at(g), at(p), n, this.decay.rate);
			}

			switch (this.name) {
				case 'sgd': {
					kernels.sgd(at(p), at(g), n, rate);
					break;
				}

				case 'momentum': {
					kernels.momentum(at(p), at(g), at(slots[0]), n, rate, MOMENTUM);
					break;
				}

				case 'rmsprop': {
					kernels.rmsprop(at(p), at(g), at(slots[0]), n, rate, RMSPROP_DECAY, epsilon);
					break;
				}

				case 'adagrad': {
					kernels.adagrad(at(p), at(g), at(slots[0]), n, rate, epsilon);
					break;
				}

				case 'adam': {
					kernels.adam(at(p), at(g), at(slots[0]), at(slots[1]), n, BETA1, BETA2, step, rootCorrection2, epsilon);
					break;
				}

				case 'adamax': {
					kernels.adamax(at(p), at(g), at(slots[0]), at(slots[1]), n, BETA1, BETA2, step, epsilon);
					break;
				}
			}

			if (this.copies) {
				params[k].set(p);
			}
		}
	}

	saveState(state: StateWriter, params: Float32Array[]): void {
		for (const [k, values] of params.entries()) {
			for (let slot = 0; slot < SLOTS[this.name]; slot++) {
				state.put(slotName(slot, k), this.state[k]?.slots[slot] ?? this.pending?.[k][slot] ?? initialSlot(this.name, values.length));
			}
		}

		state.putNumber('optimizer/power1', this.beta1.power);
		state.putNumber('optimizer/power2', this.beta2.power);
	}

	loadState(state: StateReader, params: Float32Array[]): void {
		const slots = params.map((values, k) => Array.from({length: SLOTS[this.name]}, (_, slot) => state.take(slotName(slot, k), Float32Array, values.length)));
		this.beta1.power = state.takeNumber('optimizer/power1');
		this.beta2.power = state.takeNumber('optimizer/power2');
		if (this.state.length === params.length) {
			this.copyIn(slots);
		} else {
			this.pending = slots;
		}
	}

	private copyIn(slots: Float32Array[][]): void {
		for (const [k, {slots: into}] of this.state.entries()) {
			for (const [slot, values] of into.entries()) {
				values.set(slots[k][slot]);
			}
		}
	}

	private layOut(params: Float32Array[], grads: Float32Array[]): void {
		const lengths = params.map(values => values.length);
		if (this.copies) {
			this.arena = new KernelArena(KernelArena.floats([...lengths, ...lengths, ...optimizerStateLengths(this.name, lengths)]));
		}

		const arena = this.arena!;
		this.state = params.map((values, k) => {
			if (!this.copies && !(arena.holds(values) && arena.holds(grads[k]))) {
				throw new RangeError('KernelOptimizer: parameters and gradients must live in the shared arena');
			}

			return {
				p: this.copies ? arena.allocate(values.length) : values,
				g: this.copies ? arena.allocate(values.length) : grads[k],
				slots: Array.from({length: SLOTS[this.name]}, () => arena.allocate(values.length).fill(this.name === 'adagrad' ? ADAGRAD_INITIAL : 0)),
			};
		});
		if (this.pending) {
			this.copyIn(this.pending);
			this.pending = undefined;
		}
	}
}

/** A slot as it is before the first update. */
function initialSlot(name: OptimizerName, length: number): Float32Array {
	return new Float32Array(length).fill(name === 'adagrad' ? ADAGRAD_INITIAL : 0);
}

/** One optimizer's rule as plain loops, at the learning rate of the call, with its state (withState). */
interface LoopRule extends Pick<ArrayOptimizer, 'saveState' | 'loadState'> {
	update(params: Float32Array[], grads: Float32Array[], learningRate: number): void;
}

/** A loop rule's update with its state: slots in saveState's order (slot0, slot1) and its powers. */
function withState(update: LoopRule['update'], slots: Slots[], powers: Powers[] = []): LoopRule {
	return {
		update,
		saveState(state, params) {
			for (const [k, values] of params.entries()) {
				for (const [slot, slotsOf] of slots.entries()) {
					state.put(slotName(slot, k), slotsOf.get(k, values.length));
				}
			}

			// Both powers always, as the kernel form writes them, so either form restores the other's state.
			state.putNumber('optimizer/power1', powers[0]?.power ?? BETA1);
			state.putNumber('optimizer/power2', powers[1]?.power ?? BETA2);
		},
		loadState(state, params) {
			for (const [slot, slotsOf] of slots.entries()) {
				slotsOf.load(params.map((values, k) => state.take(slotName(slot, k), Float32Array, values.length).slice()));
			}

			const [power1, power2] = [state.takeNumber('optimizer/power1'), state.takeNumber('optimizer/power2')];
			if (powers[0]) {
				powers[0].power = power1;
			}

			if (powers[1]) {
				powers[1].power = power2;
			}
		},
	};
}

/** The same rules as plain loops over Float32Arrays, weight decay first. */
class LoopOptimizer implements ArrayOptimizer {
	constructor(private readonly rule: LoopRule, private learningRate: number, private readonly decay?: WeightDecay) {}

	setLearningRate(rate: number): void {
		this.learningRate = rate;
	}

	saveState(state: StateWriter, params: Float32Array[]): void {
		this.rule.saveState(state, params);
	}

	loadState(state: StateReader, params: Float32Array[]): void {
		this.rule.loadState(state, params);
	}

	update(params: Float32Array[], grads: Float32Array[]): void {
		const {decay, learningRate} = this;
		if (decay) {
			for (const [k, p] of params.entries()) {
				const g = grads[k];
				const keep = Math.fround(1 - (learningRate * decay.rate));
				for (let i = 0; i < p.length; i++) {
					if (decay.mode === 'decoupled') {
						p[i] *= keep;
					} else {
						g[i] += decay.rate * p[i];
					}
				}
			}
		}

		this.rule.update(params, grads, learningRate);
	}
}

function loopRule(name: OptimizerName, epsilon: number): LoopRule {
	switch (name) {
		case 'sgd': {
			return withState((params, grads, learningRate) => {
				for (const [k, p] of params.entries()) {
					const g = grads[k];
					for (let i = 0; i < p.length; i++) {
						p[i] -= learningRate * g[i];
					}
				}
			}, []);
		}

		case 'momentum': {
			const slots = new Slots(0);
			return withState((params, grads, learningRate) => {
				for (const [k, p] of params.entries()) {
					const g = grads[k];
					const accumulation = slots.get(k, p.length);
					for (let i = 0; i < p.length; i++) {
						const a = (MOMENTUM * accumulation[i]) + g[i];
						accumulation[i] = a;
						p[i] -= learningRate * a;
					}
				}
			}, [slots]);
		}

		case 'rmsprop': {
			// tfjs' rmsprop with momentum 0 and centered false, which is what makeOptimizer asks for.
			const meanSquares = new Slots(0);
			return withState((params, grads, learningRate) => {
				for (const [k, p] of params.entries()) {
					const g = grads[k];
					const ms = meanSquares.get(k, p.length);
					for (let i = 0; i < p.length; i++) {
						const s = (RMSPROP_DECAY * ms[i]) + ((1 - RMSPROP_DECAY) * g[i] * g[i]);
						ms[i] = s;
						p[i] -= learningRate * g[i] / Math.sqrt(s + epsilon);
					}
				}
			}, [meanSquares]);
		}

		case 'adagrad': {
			const accumulators = new Slots(ADAGRAD_INITIAL);
			return withState((params, grads, learningRate) => {
				for (const [k, p] of params.entries()) {
					const g = grads[k];
					const accumulator = accumulators.get(k, p.length);
					for (let i = 0; i < p.length; i++) {
						const a = accumulator[i] + (g[i] * g[i]);
						accumulator[i] = a;
						p[i] -= learningRate * g[i] / Math.sqrt(a + epsilon);
					}
				}
			}, [accumulators]);
		}

		case 'adam': {
			const first = new Slots(0);
			const second = new Slots(0);
			const beta1 = new Powers(BETA1);
			const beta2 = new Powers(BETA2);
			return withState((params, grads, learningRate) => {
				// Hoisted bias corrections: sqrt(v / c2) = sqrt(v) / sqrt(c2), equal up to rounding.
				const step = learningRate / (1 - beta1.take());
				const rootCorrection2 = 1 / Math.sqrt(1 - beta2.take());
				for (const [k, p] of params.entries()) {
					const g = grads[k];
					const m = first.get(k, p.length);
					const v = second.get(k, p.length);
					for (let i = 0; i < p.length; i++) {
						const mi = (BETA1 * m[i]) + ((1 - BETA1) * g[i]);
						const vi = (BETA2 * v[i]) + ((1 - BETA2) * g[i] * g[i]);
						m[i] = mi;
						v[i] = vi;
						p[i] -= step * mi / ((Math.sqrt(vi) * rootCorrection2) + epsilon);
					}
				}
			}, [first, second], [beta1, beta2]);
		}

		case 'adamax': {
			// tfjs' adamax with decay 0, so the learning rate does not shrink with the iteration.
			const first = new Slots(0);
			const infNorm = new Slots(0);
			const beta1 = new Powers(BETA1);
			return withState((params, grads, learningRate) => {
				const step = learningRate / (1 - beta1.take());
				for (const [k, p] of params.entries()) {
					const g = grads[k];
					const m = first.get(k, p.length);
					const u = infNorm.get(k, p.length);
					for (let i = 0; i < p.length; i++) {
						const mi = (BETA1 * m[i]) + ((1 - BETA1) * g[i]);
						const ui = Math.max(BETA2 * u[i], Math.abs(g[i]));
						m[i] = mi;
						u[i] = ui;
						p[i] -= step * mi / (ui + epsilon);
					}
				}
			}, [first, infNorm], [beta1]);
		}
	}
}

/** Per-parameter optimizer state, created on first use like tfjs' slot variables. */
class Slots {
	private readonly slots: Float32Array[] = [];

	constructor(private readonly initial: number) {}

	get(index: number, length: number): Float32Array {
		this.slots[index] ??= new Float32Array(length).fill(this.initial);
		return this.slots[index];
	}

	/** Replace every slot (a restored checkpoint's). */
	load(slots: Float32Array[]): void {
		this.slots.splice(0, this.slots.length, ...slots);
	}
}
