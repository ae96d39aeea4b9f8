import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { reissueEndedAndStart } from '../../../../cli/services/network/expired-ca-recovery';
import { clearRecordedStops, nodesToStart, recordedStops, recoveryUnderway, stopForRecovery } from '../../../../cli/services/network/expired-recovery-stops';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { resolveMspOrg } from '../../../../cli/services/network/org-msp-channels';

const ORG1 = 'org1.example.com';
const ORDERER = 'orderer.example.com';

/**
 * The recoveries start only the nodes they stopped (remembered across runs in run/renew-stopped.json)
 * or that ran when the run began; a node stopped before stays stopped and is named. On a network
 * that `weft network init` made and nothing started: every node is one the operator left stopped.
 */
describe('certificate recoveries start only what they stopped', () => {
  let tmp: string;
  let net: string;
  const messages: string[] = [];
  const progress = (m: string): void => void messages.push(m);
  const recordFile = (): string => path.join(net, 'run', 'renew-stopped.json');

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-recovery-stops-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 46100 });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("a recovery's tail leaves the org's nodes that were stopped before it stopped, names them, and starts nothing", async () => {
    const network = openNetwork(net);
    const org1 = resolveMspOrg(network, 'Org1');
    messages.length = 0;
    const result = await reissueEndedAndStart(net, network, org1, new Date(), [], progress);
    const peers = network.peers().filter((p) => p.mspId === 'Org1MSP').map((p) => p.id);
    expect(peers.length).toBeGreaterThan(0);
    expect(result).toEqual({ members: [], started: [], leftStopped: peers });
    expect(messages.join('\n')).toContain(`${peers.join(', ')} ${peers.length === 1 ? 'was' : 'were'} stopped before the recovery: left stopped`);
    expect(fs.existsSync(path.join(net, 'run', `peer0.${ORG1}.pid`))).toBe(false);
  });

  it('starts the nodes a recovery recorded as stopped and those running when the run began, nothing else', () => {
    const network = openNetwork(net);
    const plan = nodesToStart(network.nodes(), [`peer0.${ORG1}`], [ORDERER]);
    expect(plan.start).toEqual([ORDERER, `peer0.${ORG1}`]);
    expect(plan.leftStopped).toEqual(network.nodes().map((n) => n.id).filter((id) => id !== ORDERER && id !== `peer0.${ORG1}`));
  });

  it('the record outlives the run that wrote it, one recovery at a time: a later run reads it, clearing one leaves the other, the file goes when empty', async () => {
    expect(recoveryUnderway(openNetwork(net), 'OrdererMSP')).toBe(false);
    await stopForRecovery(net, openNetwork(net), 'OrdererMSP', [], progress);
    expect([recoveryUnderway(openNetwork(net), 'OrdererMSP'), recordedStops(openNetwork(net), 'OrdererMSP')]).toEqual([true, []]);
    await stopForRecovery(net, openNetwork(net), 'OrdererMSP', [ORDERER], progress);
    await stopForRecovery(net, openNetwork(net), 'all', [`peer0.${ORG1}`], progress);
    // A later process: read back from the directory.
    expect(recordedStops(openNetwork(net), 'OrdererMSP')).toEqual([ORDERER]);
    expect(recordedStops(openNetwork(net), 'all')).toEqual([`peer0.${ORG1}`]);
    clearRecordedStops(openNetwork(net), 'OrdererMSP');
    expect([recoveryUnderway(openNetwork(net), 'OrdererMSP'), recordedStops(openNetwork(net), 'OrdererMSP')]).toEqual([false, []]);
    expect(recordedStops(openNetwork(net), 'all')).toEqual([`peer0.${ORG1}`]);
    clearRecordedStops(openNetwork(net), 'all');
    expect(fs.existsSync(recordFile())).toBe(false);
  });

  it('a record that is not the JSON it writes: BAD_RECOVERY_RECORD naming the file', () => {
    fs.mkdirSync(path.dirname(recordFile()), { recursive: true });
    for (const text of ['{not json', '["orderer.example.com"]', '{"all": ["orderer.example.com"]}', '{"all": {"stopped": [3]}}']) {
      fs.writeFileSync(recordFile(), text);
      expect(() => recordedStops(openNetwork(net), 'all')).toThrow(expect.objectContaining({ code: 'BAD_RECOVERY_RECORD', details: expect.objectContaining({ file: recordFile() }) }));
    }
    fs.rmSync(recordFile());
  });
});
