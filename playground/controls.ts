// The optimizer table: a row per optimizer with a checkbox, its learning
// rate on the 2-D function and on the digits, and its other hyperparameters.
import type { LBFGS, Optimizer } from 'wasm-optim';
import { OPTIMIZERS, type FunctionName, type OptimizerDef } from './optimizers.js';

/** One selected optimizer with the values read from its row. */
export interface Choice {
  def: OptimizerDef;
  /** the learning rate for the task asked for */
  lr: number;
  /** the other hyperparameters, by field key */
  h: Record<string, number>;
}

interface Row {
  def: OptimizerDef;
  use: HTMLInputElement;
  lr2d: HTMLInputElement;
  lrDigits: HTMLInputElement;
  fields: Map<string, HTMLInputElement>;
}

function numberInput(value: number, step: number | 'any', label: string): HTMLInputElement {
  const input = document.createElement('input');
  input.type = 'number';
  input.step = String(step);
  input.value = String(value);
  input.setAttribute('aria-label', label);
  return input;
}

export class OptimizerTable {
  readonly #rows: Row[] = [];

  constructor(table: HTMLTableElement, fn: FunctionName) {
    const head = table.createTHead().insertRow();
    for (const [text, title] of [
      ['', 'race and train this optimizer'],
      ['optimizer', ''],
      ['lr on f', 'learning rate on the 2-D function (reset to a suggestion when the function changes)'],
      ['lr digits', 'learning rate when training on the digits'],
      ['hyperparameters', 'shared by both tasks'],
    ] as const) {
      const th = document.createElement('th');
      th.textContent = text;
      if (title) th.title = title;
      head.append(th);
    }
    const body = table.createTBody();
    for (const def of OPTIMIZERS) {
      const tr = body.insertRow();
      tr.dataset.optimizer = def.id;
      const use = document.createElement('input');
      use.type = 'checkbox';
      use.checked = def.selected;
      use.id = `use-${def.id}`;
      tr.insertCell().append(use);
      const name = document.createElement('label');
      name.htmlFor = use.id;
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = def.color;
      name.append(swatch, def.label);
      tr.insertCell().append(name);
      const lr2d = numberInput(def.lr2d[fn], 'any', `${def.label} learning rate on the 2-D function`);
      lr2d.className = 'lr';
      tr.insertCell().append(lr2d);
      const lrDigits = numberInput(def.lrDigits, 'any', `${def.label} learning rate on the digits`);
      lrDigits.className = 'lr';
      tr.insertCell().append(lrDigits);
      const cell = tr.insertCell();
      cell.className = 'fields';
      const fields = new Map<string, HTMLInputElement>();
      for (const f of def.fields) {
        const label = document.createElement('label');
        label.title = f.title;
        const input = numberInput(f.value, f.step, `${def.label} ${f.title}`);
        input.dataset.key = f.key;
        label.append(`${f.label} `, input);
        cell.append(label);
        fields.set(f.key, input);
      }
      this.#rows.push({ def, use, lr2d, lrDigits, fields });
    }
  }

  /** Puts the suggested learning rates for `fn` into the "lr on f" column. */
  suggest(fn: FunctionName): void {
    for (const r of this.#rows) r.lr2d.value = String(r.def.lr2d[fn]);
  }

  /**
   * The ticked optimizers with their values, for the 2-D race or the digits.
   * Empty or malformed inputs are passed on as NaN, so that the optimizer's
   * own validation names the bad option.
   */
  choices(task: '2d' | 'digits'): Choice[] {
    return this.#rows
      .filter((r) => r.use.checked)
      .map((r) => ({
        def: r.def,
        lr: (task === '2d' ? r.lr2d : r.lrDigits).valueAsNumber,
        h: Object.fromEntries([...r.fields].map(([k, input]) => [k, input.valueAsNumber])),
      }));
  }
}

/**
 * The chosen optimizer over `params`. When it rejects a value, the error
 * names the row too (e.g. "Nesterov: SGD: invalid momentum: ...").
 */
export function create(choice: Choice, params: Float32Array[]): Optimizer<object> {
  try {
    return choice.def.make(params, choice.lr, choice.h);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(message.startsWith(`${choice.def.label}:`) ? message : `${choice.def.label}: ${message}`);
  }
}

/** For the race: `create`, or the closure-stepped optimizer (L-BFGS) where the row has one. */
export function createForRace(choice: Choice, params: Float32Array[]): Optimizer<object> | LBFGS {
  if (!choice.def.makeClosure) return create(choice, params);
  try {
    return choice.def.makeClosure(params, choice.lr, choice.h);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(message.startsWith(`${choice.def.label}:`) ? message : `${choice.def.label}: ${message}`);
  }
}
