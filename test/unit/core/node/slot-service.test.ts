import * as path from 'node:path';
import { CryptoMaterialGenerator } from '../../../../core/msp/crypto-material';
import { MspProvider } from '../../../../core/msp/msp';
import { slotService } from '../../../../core/node/slot-service';

const fixtures = path.resolve(__dirname, '../../../fixtures/plugins');

describe('slotService', () => {
  it("resolves a stock plugin's services by name, as a node config would", () => {
    const msp = slotService<MspProvider>('msp', 'msp-x509', MspProvider);
    expect(typeof msp.loadSigningIdentity).toBe('function');
    const generator = slotService<CryptoMaterialGenerator>('msp', 'msp-x509', CryptoMaterialGenerator);
    expect(typeof generator.generateOrg).toBe('function');
  });

  it('refuses a plugin of another slot and a service the plugin does not bind', () => {
    expect(() => slotService('msp', './good-plugin', MspProvider, fixtures)).toThrow(expect.objectContaining({ code: 'PLUGIN_WRONG_SLOT' }));
    expect(() => slotService('policy', './good-plugin', Symbol('PolicyProvider'), fixtures)).toThrow(
      expect.objectContaining({ code: 'PLUGIN_SLOT_UNBOUND' }),
    );
  });
});
