import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Broadcaster, BroadcastResult } from '../../../../../core/peer/gateway/broadcaster';
import { submitBft } from '../../../../../core/peer/gateway/submit-bft';

/** An orderer's answer: a Broadcast response, a broken stream, or none ever (hung). */
type Answer = BroadcastResult | Error | 'hung';

/** Stand-in broadcasters (this is a unit test of `submitBft` alone): each answers as told and records what it was sent. */
function orderers(...answers: readonly Answer[]): { broadcasters: Broadcaster[]; sent: number[] } {
  const sent = answers.map(() => 0);
  const broadcasters = answers.map(
    (answer, i) =>
      ({
        address: `orderer${i}:7050`,
        send: (): Promise<BroadcastResult> => {
          sent[i]++;
          if (answer === 'hung') return new Promise(() => undefined);
          return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
        },
      }) as unknown as Broadcaster,
  );
  return { broadcasters, sent };
}

const OK = { status: 200, info: '' };
const submit = (o: { broadcasters: Broadcaster[] }, clusterSize = o.broadcasters.length): Promise<void> =>
  submitBft(o.broadcasters, new Uint8Array([1]), clusterSize, 1000, (address) => `${address.slice(0, 8)}MSP`);

describe('submitBft (Fabric gateway submitBFT)', () => {
  it('sends to every orderer and resolves once a quorum accepted, without waiting for a hung one', async () => {
    const o = orderers(OK, 'hung', OK, OK);
    await expect(submit(o)).resolves.toBeUndefined();
    expect(o.sent).toEqual([1, 1, 1, 1]);
  });

  it('counts SERVICE_UNAVAILABLE "request already exists" as accepted, and a 4xx as one failure only', async () => {
    await expect(submit(orderers({ status: 400, info: 'bad' }, OK, { status: 503, info: 'failed to submit request: request already exists' }, OK))).resolves.toBeUndefined();
  });

  it('fails UNAVAILABLE with the failures as soon as no quorum is possible, a hung orderer notwithstanding', async () => {
    const o = orderers(OK, { status: 503, info: 'busy' }, 'hung', new Error('14 UNAVAILABLE: connection refused'));
    await expect(submit(o)).rejects.toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'insufficient number of orderers could successfully process transaction to satisfy quorum requirement',
      details: [
        { address: 'orderer1:7050', mspId: 'orderer1MSP', message: 'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=busy' },
        { address: 'orderer3:7050', mspId: 'orderer3MSP', message: '14 UNAVAILABLE: connection refused' },
      ],
    });
  });

  it('needs the quorum of the cluster size, not of the orderers it could reach', async () => {
    // Seven orderers in the config (quorum 5), four reachable and all accepting: still short.
    const o = orderers(OK, OK, OK, OK);
    await expect(submit(o, 7)).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE, details: [] });
    expect(o.sent).toEqual([1, 1, 1, 1]);
  });
});
