import { describeConsenterConformance } from '../../../../core/orderer/conformance';
import { SoloConsenter } from '../../../../plugins/orderer-solo';

describeConsenterConformance('orderer-solo', {
  newConsenter: () => new SoloConsenter({ logLevel: 'silent' }),
});
