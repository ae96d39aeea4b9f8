export * from './identity';
export * from './msp';
export * from './msp-error-code';
export * from './msp-version';
export * from './expiry';
export * from './crypto-material';
