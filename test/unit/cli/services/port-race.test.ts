import { isPortTaken, retryOnTakenPort } from '../../../../cli/services/demo/port-race';
import { WeftError } from '../../../../core/errors';

// The error `weft network up` throws when a node it started exits (cli/services/network/node-processes.ts).
const exited = (log: string) =>
  new WeftError('NODE_EXITED', `peer0.org1.example.com exited before it was healthy. Last lines of /tmp/x/logs/peer0.org1.example.com.log:\n${log}`, { node: 'peer0.org1.example.com' });
const taken = exited('peer failed to start: listen EADDRINUSE: address already in use 127.0.0.1:57966');

describe('the demo on a port taken between its check and the bind', () => {
  it('tells a taken port from other ways a node can exit', () => {
    expect(isPortTaken(taken)).toBe(true);
    expect(isPortTaken(exited('config error: peer.listenAddress: expected host:port'))).toBe(false);
    expect(isPortTaken(new WeftError('NETWORK_ALREADY_UP', 'EADDRINUSE'))).toBe(false);
    expect(isPortTaken(new Error('listen EADDRINUSE'))).toBe(false);
  });

  it('cleans up and tries again with other ports, then gives up after the last try', async () => {
    const cleanups: string[] = [];
    let calls = 0;
    const result = await retryOnTakenPort(
      async () => {
        calls++;
        if (calls < 3) throw taken;
        return 'up';
      },
      async (err) => {
        cleanups.push(String(err.details.node));
      },
    );
    expect({ result, calls, cleanups }).toEqual({ result: 'up', calls: 3, cleanups: ['peer0.org1.example.com', 'peer0.org1.example.com'] });

    calls = 0;
    await expect(retryOnTakenPort(async () => { calls++; throw taken; }, async () => undefined, 2)).rejects.toBe(taken);
    expect(calls).toBe(2);
  });

  it('does not retry any other failure', async () => {
    const other = exited('config error');
    let calls = 0;
    await expect(retryOnTakenPort(async () => { calls++; throw other; }, async () => { throw new Error('no cleanup expected'); })).rejects.toBe(other);
    expect(calls).toBe(1);
  });
});
