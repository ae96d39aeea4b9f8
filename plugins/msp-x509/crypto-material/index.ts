export * from './certificate-authority';
export * from './certificate-builder';
export * from './crl-builder';
export * from './key-pair';
export * from './org-generator';
export * from './pem';
export * from './test-org';
