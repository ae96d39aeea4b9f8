import { NodeLogging } from '../../../../core/node/logger';
import { SoloConsenter } from '../../../../plugins/orderer-solo';
import { capturedLog } from '../../../support/captured-log';

describe('orderer-solo logging', () => {
  it("logs as orderer.consensus.solo under the node's spec; its own logLevel option is ignored there, with a warning that names the spec to set", () => {
    const { base, lines } = capturedLog();
    new SoloConsenter({ logLevel: 'debug' }, new NodeLogging('warn', { node: 'orderer0' }, base));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, component: 'orderer.consensus.solo', node: 'orderer0', msg: expect.stringContaining('"warn:orderer.consensus.solo=debug"') }),
    );
  });
});
