/**
 * Preloaded into an engine under test (`node --expose-gc --import <this file> …`): SIGUSR2 runs a full
 * garbage collection, so a benchmark can read the heap that live state really holds (the engine's /metrics
 * after the GC) rather than that plus garbage not yet collected. Nothing else changes in the engine.
 */
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => gc?.());
