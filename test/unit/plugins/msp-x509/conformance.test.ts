import { mspConformanceFixture } from '../../../../cli/testing';
import { mspConformanceSuite } from '../../../../core/msp/conformance';
import { X509MspProvider } from '../../../../plugins/msp-x509';

// The same fixture generated plugin projects test against (cli/testing).
mspConformanceSuite('msp-x509', () => mspConformanceFixture(new X509MspProvider()));
