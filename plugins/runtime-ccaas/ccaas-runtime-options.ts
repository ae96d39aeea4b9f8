/**
 * What the chaincode-as-a-service runtime takes from the node config. It has no slot of its own:
 * the limits an operator sets for chaincode in the `runtime` slot's options (`timeoutMs`,
 * `maxValueBytes`, `maxTransactionBytes`, and `maxKeyBytes`, `totalQueryLimit` where the slot's
 * plugin has them) bind chaincode servers too, so lowering one is not undone by packaging the
 * chaincode as a service. Fabric's `chaincode.keepalive` and `chaincode.runtimeParams` are read from
 * the same options (`keepalive`, `runtimeParams`); the slot's other options are its plugin's alone.
 */
import { z } from 'zod';
import type { RuntimeLimits } from '../../core/chaincode/chaincode-runtime';
import { ChaincodeError } from '../../core/errors';

const limit = z.number().int().positive().optional();

/** The limit options of the `runtime` slot; the slot's plugin checks them too, with its own bounds. */
const SlotLimits = z.object({ timeoutMs: limit, maxValueBytes: limit, maxKeyBytes: limit, totalQueryLimit: limit, maxTransactionBytes: limit });

/**
 * The limits among the `runtime` slot's options (`plugins.runtime.options`), unset ones left out.
 * Throws `CHAINCODE_BAD_OPTIONS` naming the option when one is not a positive integer.
 */
export function slotLimits(options: Readonly<Record<string, unknown>>): RuntimeLimits {
  const parsed = SlotLimits.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = `plugins.runtime.options.${issue.path.join('.')}`;
    throw new ChaincodeError('CHAINCODE_BAD_OPTIONS', `${field}: ${issue.message} (a chaincode limit must be a positive integer; it binds chaincode as a service too)`, { field });
  }
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as RuntimeLimits;
}

/** Fabric's `chaincode.runtimeParams` (`core/chaincode/config.go`), as READY's `ChaincodeAdditionalParams` carries them. */
export interface RuntimeParams {
  readonly useWriteBatch: boolean;
  readonly maxSizeWriteBatch: number;
  readonly useGetMultipleKeys: boolean;
  readonly maxSizeGetMultipleKeys: number;
}

/** How the peer speaks to chaincode servers: what READY offers them, and Fabric's `chaincode.keepalive`. */
export interface ChaincodeProtocol {
  readonly runtimeParams: RuntimeParams;
  /** Seconds between KEEPALIVE messages on every stream; 0: none. */
  readonly keepalive: number;
}

/** Fabric's `defaultMaxSizeWriteBatch` / `defaultMaxSizeGetMultipleKeys`, used when the size is unset or 0. */
const DEFAULT_MAX_BATCH = 1000;
const uint32 = z.number().int().min(0).max(0xffffffff);
/** The longest interval a Node timer takes (2^31 - 1 ms); a longer one would fire every millisecond. */
const MAX_KEEPALIVE_SECONDS = Math.floor(0x7fffffff / 1000);

/**
 * `runtimeParams` and `keepalive` as Fabric's peer reads them: the `use*` flags are on as the
 * `core.yaml` Fabric ships sets them, a size of 0 means Fabric's default of 1000, and a keepalive of
 * 0 sends none (Fabric's default).
 */
const ProtocolSettings = z.object({
  keepalive: z.number().int().min(0).max(MAX_KEEPALIVE_SECONDS).default(0),
  runtimeParams: z
    .object({ useWriteBatch: z.boolean().default(true), maxSizeWriteBatch: uint32.default(0), useGetMultipleKeys: z.boolean().default(true), maxSizeGetMultipleKeys: uint32.default(0) })
    .strict()
    .prefault({}),
});

/** The protocol settings, every one defaulted as Fabric defaults it. */
export const DEFAULT_PROTOCOL: ChaincodeProtocol = chaincodeProtocol({});

/**
 * `keepalive` and `runtimeParams` from `options` (other keys are ignored). Throws
 * `CHAINCODE_BAD_OPTIONS` naming the field (under `prefix`) when one has the wrong type or range.
 */
export function chaincodeProtocol(options: Readonly<Record<string, unknown>>, prefix = 'plugins.runtime.options'): ChaincodeProtocol {
  const parsed = ProtocolSettings.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = [prefix, ...issue.path].join('.');
    throw new ChaincodeError('CHAINCODE_BAD_OPTIONS', `${field}: ${issue.message} (keepalive is whole seconds, 0 for none; runtimeParams holds useWriteBatch, maxSizeWriteBatch, useGetMultipleKeys, maxSizeGetMultipleKeys)`, { field });
  }
  const p = parsed.data.runtimeParams;
  return {
    keepalive: parsed.data.keepalive,
    runtimeParams: {
      useWriteBatch: p.useWriteBatch,
      maxSizeWriteBatch: p.maxSizeWriteBatch || DEFAULT_MAX_BATCH,
      useGetMultipleKeys: p.useGetMultipleKeys,
      maxSizeGetMultipleKeys: p.maxSizeGetMultipleKeys || DEFAULT_MAX_BATCH,
    },
  };
}
