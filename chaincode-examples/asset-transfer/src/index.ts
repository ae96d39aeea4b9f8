/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { AssetTransferContract } from './assetTransfer';

export { AssetTransferContract } from './assetTransfer';

export const contracts: any[] = [AssetTransferContract];
