import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { networkUp } from '../../../../cli/services/network/network-control';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { nodeDrift } from '../../../../cli/services/network/node-drift';

interface RawSpec {
  ordererOrg: { orderers: { port: number }[] };
  orgs: { peers: { host?: string; port: number }[] }[];
}

describe('network.yaml edited after init', () => {
  let tmp: string;
  let dir: string;
  const layout = () => new NetworkLayout(dir, loadNetworkSpec(dir));
  const edit = (change: (raw: RawSpec) => void): void => {
    const file = path.join(dir, 'network.yaml');
    const raw = parseYaml(fs.readFileSync(file, 'utf8')) as RawSpec;
    change(raw);
    fs.writeFileSync(file, stringifyYaml(raw));
  };

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-drift-'));
    dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 28000 });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('finds nothing on a network as init made it', () => {
    for (const node of layout().nodes()) expect(nodeDrift(node)).toBeUndefined();
  });

  it('names a host the certificate does not and a port the config does not have', () => {
    edit((raw) => {
      raw.orgs[0]!.peers[0]!.host = '10.9.9.9';
      raw.orgs[1]!.peers[0]!.port = 28999;
      raw.ordererOrg.orderers[0]!.port = 28998;
    });
    const [orderer, org1, org2] = layout().nodes();
    expect(nodeDrift(org1!)).toMatch(/its TLS certificate does not name 10\.9\.9\.9 \(it names DNS:peer0\.org1\.example\.com/);
    expect(nodeDrift(org2!)).toMatch(/its config .*peer\.yaml has port 28004/);
    expect(nodeDrift(orderer!)).toMatch(/its config .*orderer\.yaml has port 28000/);
  });

  it('up refuses such a node before it starts anything, pointing at init --from', async () => {
    edit((raw) => (raw.orgs[0]!.peers[0]!.host = '10.9.9.9'));
    await expect(networkUp(dir, () => {}, ['peer0.org1.example.com'])).rejects.toMatchObject({
      code: 'NETWORK_FILE_EDITED',
      message: expect.stringContaining('network.yaml puts peer0.org1.example.com at 10.9.9.9:28002, but its TLS certificate does not name 10.9.9.9'),
      details: { suggestions: [expect.stringContaining('weft network init <new-dir> --from'), expect.any(String)] },
    });
    expect(fs.existsSync(path.join(dir, 'run'))).toBe(false);
  });
});
