import { mspConformanceSuite } from '../../../../core/msp/conformance';
import { conformanceFixture } from './fixtures';

mspConformanceSuite('msp-x509', conformanceFixture);
