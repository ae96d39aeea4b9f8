/** Weft's version as a node's operations endpoint reports it (`GET /version`). */
export const WEFT_VERSION = '0.1.0';
