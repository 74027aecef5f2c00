// English for messages: the article before a type name, and counted nouns.

/** "a" or "an" before `word` by its first sound: an ArrayBuffer, an Int8Array, a Uint8Array, a Float32Array. */
export function article(word: string): 'a' | 'an' {
  return /^[aeio]/i.test(word) || /^u(?!int|ni|s[eu])/i.test(word) ? 'an' : 'a';
}

/** `n` and the noun, singular for exactly 1: "1 epoch", "2 epochs", "1,438 examples". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${Number.isFinite(n) ? n.toLocaleString('en-US') : String(n)} ${n === 1 ? one : many}`;
}
