import type { OptimizerEntry } from '../../src/registry.js';
export declare const BEGIN: string;
export declare const END: string;
export declare function optimizerTable(registry: readonly OptimizerEntry[]): string;
export declare function withTable(readme: string, registry: readonly OptimizerEntry[]): string;
