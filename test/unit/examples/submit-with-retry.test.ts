import type { ServiceError } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { type Contract, EndorseError } from '@hyperledger/fabric-gateway';
import { endorsersDisagreed } from '../../../cli/services/chaincode/transact';
import { submitWithRetry } from '../../examples/submit-with-retry';

/** An EndorseError as the client builds it from the Gateway's ABORTED status. */
function endorseError(details: string): EndorseError {
  const cause = Object.assign(new Error(`${GrpcStatus.ABORTED} ABORTED: ${details}`), { code: GrpcStatus.ABORTED, details, metadata: undefined }) as unknown as ServiceError;
  return new EndorseError({ code: GrpcStatus.ABORTED, details: [], cause, transactionId: 'tx1', message: cause.message });
}

/** A contract whose submits fail with the given errors, in turn, then succeed. */
function contractFailing(...errors: Error[]): { contract: Contract; calls: () => number } {
  let calls = 0;
  const contract = {
    submitTransaction: (): Promise<Uint8Array> => {
      const err = errors[calls++];
      return err === undefined ? Promise.resolve(new TextEncoder().encode('ok')) : Promise.reject(err);
    },
  } as unknown as Contract;
  return { contract, calls: () => calls };
}

describe("the README's retry helper", () => {
  it('endorses again when the endorsers disagreed (one peer a block behind)', async () => {
    const mismatch = endorseError('failed to assemble transaction: ProposalResponsePayloads do not match: a (Org1MSP) and b (Org2MSP) differ in read/write set');
    const { contract, calls } = contractFailing(mismatch);
    const seen: unknown[] = [];
    expect(new TextDecoder().decode(await submitWithRetry(contract, 'Increment', ['k'], 3, (err) => seen.push(err)))).toBe('ok');
    expect(calls()).toBe(2);
    expect(seen).toEqual([mismatch]);
  });

  it('throws a chaincode failure at once, though the Gateway answers it ABORTED too', async () => {
    const refused = endorseError('failed to endorse transaction, see attached details for more info');
    const { contract, calls } = contractFailing(refused);
    await expect(submitWithRetry(contract, 'Increment', ['k'], 3)).rejects.toBe(refused);
    expect(calls()).toBe(1);
  });
});

describe("weft chaincode invoke --retry's rule for endorsement failures", () => {
  it('retries endorsers that disagreed, not a chaincode failure', () => {
    expect(endorsersDisagreed(endorseError('failed to assemble transaction: ProposalResponsePayloads do not match: a and b differ in read/write set'))).toBe(true);
    expect(endorsersDisagreed(endorseError('failed to endorse transaction, see attached details for more info'))).toBe(false);
    expect(endorsersDisagreed(new Error('ProposalResponsePayloads do not match'))).toBe(false);
  });
});
