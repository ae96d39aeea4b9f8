import * as core from '../../../../core';
import * as msp from '../../../../core/msp';

describe('core/msp exports', () => {
  it('exposes the error codes and expiry check, but not the jest-only conformance suite', () => {
    expect(msp.MspErrorCode.HighS).toBe('MSP_HIGH_S');
    expect(typeof msp.assertNotExpired).toBe('function');
    expect(typeof msp.MspProvider).toBe('symbol');
    expect(Object.keys(core)).not.toContain('mspConformanceSuite');
    expect(Object.keys(msp)).not.toContain('mspConformanceSuite');
  });

  it('gives every error code a distinct MSP_ string', () => {
    const codes = Object.values(msp.MspErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^MSP_[A-Z_]+$/);
  });
});
