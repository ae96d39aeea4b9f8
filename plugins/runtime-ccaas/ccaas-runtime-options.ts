/**
 * What the chaincode-as-a-service runtime takes from the node config. It has no slot of its own:
 * the limits an operator sets for chaincode in the `runtime` slot's options (`timeoutMs`,
 * `maxValueBytes`, `maxTransactionBytes`, and `maxKeyBytes`, `totalQueryLimit` where the slot's
 * plugin has them) bind chaincode servers too, so lowering one is not undone by packaging the
 * chaincode as a service. The slot's other options are its plugin's alone and are not read here.
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
