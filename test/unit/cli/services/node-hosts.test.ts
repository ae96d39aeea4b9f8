import * as os from 'node:os';
import { isThisMachine, listenAddressFor, NodeHost } from '../../../../cli/services/network/node-hosts';

describe('node hosts', () => {
  it('accepts DNS names and IPv4 addresses, and refuses IPv6 literals and malformed names', () => {
    for (const ok of ['127.0.0.1', '10.0.0.12', 'localhost', 'peer0.org1.example.com', 'vm-2.internal']) expect(NodeHost.safeParse(ok).success).toBe(true);
    for (const bad of ['::1', 'fe80::1', 'not a host', '-x.example.com', 'x..example.com', '']) expect(NodeHost.safeParse(bad).success).toBe(false);
  });

  it('listens on the advertised address on loopback hosts and on every interface otherwise', () => {
    expect(listenAddressFor('127.0.0.1:7051')).toBe('127.0.0.1:7051');
    expect(listenAddressFor('127.0.0.3:7051')).toBe('127.0.0.3:7051');
    expect(listenAddressFor('localhost:7051')).toBe('localhost:7051');
    expect(listenAddressFor('10.0.0.12:7051')).toBe('0.0.0.0:7051');
    expect(listenAddressFor('peer0.org1.example.com:7051')).toBe('0.0.0.0:7051');
  });

  it('knows this machine by loopback, host name and interface address, and nothing else', async () => {
    expect(await isThisMachine('127.0.0.2')).toBe(true);
    expect(await isThisMachine('localhost')).toBe(true);
    expect(await isThisMachine(os.hostname())).toBe(true);
    const own = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (own !== undefined) expect(await isThisMachine(own.address)).toBe(true);
    expect(await isThisMachine('198.51.100.7')).toBe(false); // TEST-NET-2, documentation only
    expect(await isThisMachine('weft-no-such-host.invalid')).toBe(false);
  });
});
