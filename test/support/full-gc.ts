import * as v8 from 'node:v8';
import * as vm from 'node:vm';

// A full collection on demand, as under `node --expose-gc`, without the flag on jest's command line.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * The process's memory once garbage is collected, so a test measures only what is kept. Two
 * collections: the second waits for the first one's sweeping of array buffers to finish.
 */
export function memoryAfterFullGc(): NodeJS.MemoryUsage {
  gc();
  gc();
  return process.memoryUsage();
}
