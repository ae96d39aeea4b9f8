/**
 * Jest setup: each worker finds ports in a slice of the candidate range of its own. Ports are only
 * checked free, not held, until a node binds them, so two workers starting networks at once could
 * otherwise pick the same port (seen in CI as EADDRINUSE). Processes the tests spawn inherit it.
 */
import { candidatePortRange } from '../../cli/services/free-ports';

const SLICES = 4;
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
const [low, high] = candidatePortRange();
const size = Math.floor((high - low) / SLICES);
const start = low + ((worker - 1) % SLICES) * size;
// What was split, for the test of this split: an engineer's own WEFT_PORT_RANGE narrows it.
process.env.WEFT_PORT_RANGE_PARENT = `${low}-${high}`;
process.env.WEFT_PORT_RANGE = `${start}-${start + size}`;
