/*
 * SPDX-License-Identifier: Apache-2.0
 */

'use strict';

const { Contract } = require('fabric-contract-api');

// Both orgs hold the asset's public-to-them description; each org keeps its own appraisal of the
// asset in its implicit collection, which only that org's peers store.
const ASSETS = 'assetCollection';
const AGREEMENT = 'transferAgreement';

function implicitCollection(mspId) {
    return `_implicit_org_${mspId}`;
}

// Values arrive as transient data, never as arguments: arguments are recorded in the block.
function transientJson(ctx, field) {
    const bytes = ctx.stub.getTransient().get(field);
    if (!bytes || bytes.length === 0) {
        throw new Error(`${field} must be passed in the transient map`);
    }
    let value;
    try {
        value = JSON.parse(Buffer.from(bytes).toString());
    } catch (err) {
        throw new Error(`${field} is not JSON: ${err.message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new Error(`${field} must be a JSON object`);
    }
    return value;
}

function requireString(obj, field, where) {
    if (typeof obj[field] !== 'string' || obj[field].length === 0) {
        throw new Error(`${where}.${field} must be a non-empty string`);
    }
    return obj[field];
}

function requirePositiveInteger(obj, field, where) {
    if (!Number.isInteger(obj[field]) || obj[field] <= 0) {
        throw new Error(`${where}.${field} must be a positive integer`);
    }
    return obj[field];
}

class PrivateAssets extends Contract {

    // A client may write its org's implicit collection only through its own org's peer, which
    // stores what it writes; another org's peer would not.
    async _requireOwnOrgPeer(ctx) {
        const clientMsp = ctx.clientIdentity.getMSPID();
        const peerMsp = ctx.stub.getMspID();
        if (clientMsp !== peerMsp) {
            throw new Error(`client from org ${clientMsp} is not authorized to read or write private data from an org ${peerMsp} peer`);
        }
        return clientMsp;
    }

    async _readJson(ctx, collection, key) {
        const bytes = await ctx.stub.getPrivateData(collection, key);
        if (!bytes || bytes.length === 0) {
            return undefined;
        }
        return JSON.parse(bytes.toString());
    }

    // CreateAsset: transient asset_properties {assetID, color, size, appraisedValue}.
    async CreateAsset(ctx) {
        const props = transientJson(ctx, 'asset_properties');
        const assetID = requireString(props, 'assetID', 'asset_properties');
        const color = requireString(props, 'color', 'asset_properties');
        const size = requirePositiveInteger(props, 'size', 'asset_properties');
        const appraisedValue = requirePositiveInteger(props, 'appraisedValue', 'asset_properties');
        const mspId = await this._requireOwnOrgPeer(ctx);
        if (await this._readJson(ctx, ASSETS, assetID)) {
            throw new Error(`this asset already exists: ${assetID}`);
        }
        const asset = { objectType: 'asset', assetID, color, size, owner: ctx.clientIdentity.getID() };
        await ctx.stub.putPrivateData(ASSETS, assetID, Buffer.from(JSON.stringify(asset)));
        await ctx.stub.putPrivateData(implicitCollection(mspId), assetID, Buffer.from(JSON.stringify({ assetID, appraisedValue })));
    }

    // AgreeToTransfer: the buyer's org records the value it agrees to (transient asset_value
    // {assetID, appraisedValue}) in its own implicit collection, and the buyer in the shared one.
    async AgreeToTransfer(ctx) {
        const value = transientJson(ctx, 'asset_value');
        const assetID = requireString(value, 'assetID', 'asset_value');
        const appraisedValue = requirePositiveInteger(value, 'appraisedValue', 'asset_value');
        const mspId = await this._requireOwnOrgPeer(ctx);
        if (!(await this._readJson(ctx, ASSETS, assetID))) {
            throw new Error(`${assetID} does not exist`);
        }
        await ctx.stub.putPrivateData(implicitCollection(mspId), assetID, Buffer.from(JSON.stringify({ assetID, appraisedValue })));
        const key = ctx.stub.createCompositeKey(AGREEMENT, [assetID]);
        await ctx.stub.putPrivateData(ASSETS, key, Buffer.from(ctx.clientIdentity.getID()));
    }

    // TransferAsset: transient asset_owner {assetID, buyerMSP}. The two orgs' appraisals are
    // compared by hash: neither org can read the other's value.
    async TransferAsset(ctx) {
        const transfer = transientJson(ctx, 'asset_owner');
        const assetID = requireString(transfer, 'assetID', 'asset_owner');
        const buyerMSP = requireString(transfer, 'buyerMSP', 'asset_owner');
        const mspId = await this._requireOwnOrgPeer(ctx);
        const asset = await this._ownedBy(ctx, assetID);
        const agreementKey = ctx.stub.createCompositeKey(AGREEMENT, [assetID]);
        const buyer = await ctx.stub.getPrivateData(ASSETS, agreementKey);
        if (!buyer || buyer.length === 0) {
            throw new Error(`no buyer has agreed to buy asset ${assetID}`);
        }
        const ours = await ctx.stub.getPrivateDataHash(implicitCollection(mspId), assetID);
        const theirs = await ctx.stub.getPrivateDataHash(implicitCollection(buyerMSP), assetID);
        if (!theirs || theirs.length === 0) {
            throw new Error(`the buyer's appraised value for ${assetID} does not exist in collection ${implicitCollection(buyerMSP)}`);
        }
        if (Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) !== 0) {
            throw new Error(`hash for appraised value of ${assetID} in the owner's collection does not match the buyer's`);
        }
        asset.owner = buyer.toString();
        await ctx.stub.putPrivateData(ASSETS, assetID, Buffer.from(JSON.stringify(asset)));
        await ctx.stub.deletePrivateData(implicitCollection(mspId), assetID);
        await ctx.stub.deletePrivateData(ASSETS, agreementKey);
    }

    // DeleteAsset: transient asset_delete {assetID}; the owner's org forgets its appraisal too.
    async DeleteAsset(ctx) {
        const assetID = requireString(transientJson(ctx, 'asset_delete'), 'assetID', 'asset_delete');
        const mspId = await this._requireOwnOrgPeer(ctx);
        await this._ownedBy(ctx, assetID);
        await ctx.stub.deletePrivateData(ASSETS, assetID);
        await ctx.stub.deletePrivateData(implicitCollection(mspId), assetID);
    }

    // PurgeAsset: as DeleteAsset, and every peer also drops the asset's earlier private values.
    async PurgeAsset(ctx) {
        const assetID = requireString(transientJson(ctx, 'asset_purge'), 'assetID', 'asset_purge');
        const mspId = await this._requireOwnOrgPeer(ctx);
        await this._ownedBy(ctx, assetID);
        await ctx.stub.purgePrivateData(ASSETS, assetID);
        await ctx.stub.purgePrivateData(implicitCollection(mspId), assetID);
    }

    async _ownedBy(ctx, assetID) {
        const asset = await this._readJson(ctx, ASSETS, assetID);
        if (!asset) {
            throw new Error(`${assetID} does not exist`);
        }
        if (asset.owner !== ctx.clientIdentity.getID()) {
            throw new Error(`submitting client is not the owner of asset ${assetID}`);
        }
        return asset;
    }

    async ReadAsset(ctx, assetID) {
        const asset = await ctx.stub.getPrivateData(ASSETS, assetID);
        if (!asset || asset.length === 0) {
            throw new Error(`${assetID} does not exist`);
        }
        return asset.toString();
    }

    // ReadAssetPrivateDetails: an org's appraisal, read on that org's peer.
    async ReadAssetPrivateDetails(ctx, collection, assetID) {
        const details = await ctx.stub.getPrivateData(collection, assetID);
        if (!details || details.length === 0) {
            throw new Error(`${assetID} has no private details in ${collection}`);
        }
        return details.toString();
    }

    async ReadTransferAgreement(ctx, assetID) {
        const buyer = await ctx.stub.getPrivateData(ASSETS, ctx.stub.createCompositeKey(AGREEMENT, [assetID]));
        if (!buyer || buyer.length === 0) {
            throw new Error(`no transfer agreement for ${assetID}`);
        }
        return JSON.stringify({ assetID, buyerID: buyer.toString() });
    }

    // GetAssetByRange: assets with IDs in [startKey, endKey); composite keys (agreements) are not in it.
    async GetAssetByRange(ctx, startKey, endKey) {
        const out = [];
        for await (const { value } of ctx.stub.getPrivateDataByRange(ASSETS, startKey, endKey)) {
            out.push(JSON.parse(Buffer.from(value).toString()));
        }
        return JSON.stringify(out);
    }

    // QueryAssetByOwner: a rich query over the collection, served by its index in META-INF.
    async QueryAssetByOwner(ctx, owner) {
        const query = { selector: { objectType: 'asset', owner }, use_index: ['_design/indexOwnerDoc', 'indexOwner'] };
        const out = [];
        for await (const { value } of ctx.stub.getPrivateDataQueryResult(ASSETS, JSON.stringify(query))) {
            out.push(JSON.parse(Buffer.from(value).toString()));
        }
        return JSON.stringify(out);
    }
}

module.exports = PrivateAssets;
