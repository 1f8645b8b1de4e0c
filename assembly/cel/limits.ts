// Hard bounds that keep compilation and evaluation finite and the Wasm stacks safe.
// Every limit, when hit, becomes an error (a compile error with a position, or an
// Error value), never a trap. They are generous for policy expressions and small
// enough that the worst case stays inside AssemblyScript's 32 KiB shadow stack.

/** Longest accepted expression source, in UTF-8 bytes. */
export const MAX_SOURCE_BYTES: i32 = 16384;

/**
 * Deepest accepted syntax tree (parentheses, calls, operators, selections all count).
 * Planning and evaluation recurse along the tree, so this bounds their stack use too.
 * The CEL spec asks implementations to support at least 12 levels of nesting and 32
 * repetitions of an operator; `a || b || ...` and `a && b && ...` are flattened and
 * do not add depth per operand.
 */
export const MAX_DEPTH: i32 = 48;

/** Most elements in one list or map literal, and arguments in one call. */
export const MAX_LITERAL_ELEMENTS: i32 = 1024;

/** Most syntax nodes in one expression. */
export const MAX_NODES: i32 = 8192;

/** Most comprehension iterations (macro steps) in one evaluation, all macros together. */
export const MAX_ITERATIONS: i32 = 100000;

/** Longest string (UTF-16 code units) or bytes value an evaluation may produce. */
export const MAX_STRING_LENGTH: i32 = 1 << 20;

/** Most elements in a list or map an evaluation may produce. */
export const MAX_COLLECTION_SIZE: i32 = 100000;

/** Deepest value nesting that equality, ordering and formatting descend into. */
export const MAX_VALUE_DEPTH: i32 = 32;

/** Most instructions in one compiled regular expression (counted repetition expands). */
export const MAX_REGEX_INSTRUCTIONS: i32 = 4096;

/** Longest regular expression pattern, in UTF-16 code units. */
export const MAX_REGEX_PATTERN: i32 = 4096;

/**
 * Most string/bytes code units one evaluation may produce in total, a list or map
 * element counting as 32 units (so about 8 MiB of strings, or 131,072 elements). Each
 * result is also capped by MAX_STRING_LENGTH / MAX_COLLECTION_SIZE; this bounds their
 * sum across comprehension iterations, and so the memory an evaluation can take.
 */
export const MAX_PRODUCED_UNITS: i64 = 4 << 20;

/**
 * Elements and characters one rendering of a value to text, or one equality test, may
 * visit. Values can share sub-values (`[a, a]`), so their unshared size can be
 * exponential in the expression; past this the text is refused and equality is an error.
 */
export const MAX_VALUE_WORK: i32 = 1 << 20;

let valueWork: i32 = 0;

/** Starts the work budget of one top-level rendering or comparison. */
export function beginValueWork(): void {
  valueWork = MAX_VALUE_WORK;
}

/** Spends `n` units of that budget; false once it is exhausted. */
export function spendValueWork(n: i32): bool {
  valueWork -= n;
  return valueWork >= 0;
}
