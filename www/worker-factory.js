// Starts the analysis worker (the single-file build swaps this module for its own).
export const singleFile = false;

export function createWorker() {
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}
