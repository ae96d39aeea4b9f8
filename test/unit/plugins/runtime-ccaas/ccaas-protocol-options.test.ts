import { ChaincodeError } from '../../../../core/errors';
import { chaincodeProtocol, DEFAULT_PROTOCOL } from '../../../../plugins/runtime-ccaas';
import { IsolatedVmRuntimeOptions } from '../../../../plugins/runtime-isolated-vm';

/** The error the runtime slot's options `value` get. */
function refusal(value: Record<string, unknown>): ChaincodeError {
  try {
    chaincodeProtocol(value);
  } catch (err) {
    expect(err).toBeInstanceOf(ChaincodeError);
    expect((err as ChaincodeError).code).toBe('CHAINCODE_BAD_OPTIONS');
    return err as ChaincodeError;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('chaincodeProtocol (chaincode.keepalive and chaincode.runtimeParams)', () => {
  it("defaults as Fabric's shipped core.yaml: batching offered, 1000 per batch, no keepalive", () => {
    expect(DEFAULT_PROTOCOL).toEqual({ keepalive: 0, runtimeParams: { useWriteBatch: true, maxSizeWriteBatch: 1000, useGetMultipleKeys: true, maxSizeGetMultipleKeys: 1000 } });
    // The sandbox's own options beside them are not its business.
    expect(chaincodeProtocol({ memoryLimitMb: 64, strict: true })).toEqual(DEFAULT_PROTOCOL);
  });

  it('takes each option, a size of 0 meaning the default as in Fabric', () => {
    const p = chaincodeProtocol({ keepalive: 30, runtimeParams: { useWriteBatch: false, maxSizeWriteBatch: 0, useGetMultipleKeys: false, maxSizeGetMultipleKeys: 7 } });
    expect(p).toEqual({ keepalive: 30, runtimeParams: { useWriteBatch: false, maxSizeWriteBatch: 1000, useGetMultipleKeys: false, maxSizeGetMultipleKeys: 7 } });
  });

  it("passes the runtime slot's own plugin (a node YAML sets them in plugins.runtime.options)", () => {
    const options = { memoryLimitMb: 64, keepalive: 30, runtimeParams: { maxSizeWriteBatch: 5 } };
    expect(IsolatedVmRuntimeOptions.safeParse(options).success).toBe(true);
    expect(chaincodeProtocol(options).runtimeParams.maxSizeWriteBatch).toBe(5);
  });

  it('refuses a bad value naming its field', () => {
    expect(refusal({ keepalive: -1 }).details).toEqual({ field: 'plugins.runtime.options.keepalive' });
    expect(refusal({ keepalive: 1.5 }).message).toMatch(/^plugins\.runtime\.options\.keepalive: /);
    // A Node timer takes at most 2^31 - 1 ms: past that it would fire every millisecond.
    expect(refusal({ keepalive: 2_147_484 }).details).toEqual({ field: 'plugins.runtime.options.keepalive' });
    expect(chaincodeProtocol({ keepalive: 2_147_483 }).keepalive).toBe(2_147_483);
    expect(refusal({ runtimeParams: { maxSizeWriteBatch: 'many' } }).details).toEqual({ field: 'plugins.runtime.options.runtimeParams.maxSizeWriteBatch' });
    expect(refusal({ runtimeParams: { maxSizeGetMultipleKeys: 2 ** 32 } }).details).toEqual({ field: 'plugins.runtime.options.runtimeParams.maxSizeGetMultipleKeys' });
    expect(refusal({ runtimeParams: { useWriteBatch: 'yes' } }).details).toEqual({ field: 'plugins.runtime.options.runtimeParams.useWriteBatch' });
    expect(refusal({ runtimeParams: { useWritebatch: true } }).message).toContain('plugins.runtime.options.runtimeParams');
  });
});
