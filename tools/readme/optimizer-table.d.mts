import type { ClosureOptimizerEntry, OptimizerEntry } from '../../src/registry.js';
export declare const BEGIN: string;
export declare const END: string;
export declare function optimizerTable(registry: readonly OptimizerEntry[], closures?: readonly ClosureOptimizerEntry[]): string;
export declare function withTable(readme: string, registry: readonly OptimizerEntry[], closures?: readonly ClosureOptimizerEntry[]): string;
