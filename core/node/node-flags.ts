/**
 * The Node.js flags a peer or orderer process runs with; every launcher (`weft network up`, the
 * `weft` bin, tests and benches) passes these.
 *
 * - `--no-node-snapshot`: isolated-vm cannot create isolates in a process started from Node's
 *   startup snapshot.
 * - `--initial-old-space-size=128` (MiB): a floor under V8's old-generation limit, not a
 *   reservation. V8 starts a full mark-compact as soon as the room left below that limit is smaller
 *   than its young generation; with a node's 30–50 MB live heap the computed limit never leaves that
 *   much room, so under load every node ran a full GC every 2–4 s however little it promoted
 *   (0.35 MB/s measured on the gateway peer). With the floor: one full GC a minute instead of
 *   about 25, and 6–10% less CPU per transaction over the three processes of the e2e bench in
 *   paired runs. The price is up to ~100 MB more resident memory before a full GC runs. V8 reads it
 *   only at startup, and `NODE_OPTIONS` does not accept it, so it must be on the command line.
 */
export const NODE_PROCESS_FLAGS: readonly string[] = ['--no-node-snapshot', '--initial-old-space-size=128'];
