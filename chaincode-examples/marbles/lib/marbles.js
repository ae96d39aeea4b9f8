/*
 * SPDX-License-Identifier: Apache-2.0
 */

'use strict';

const { Contract } = require('fabric-contract-api');

class Marbles extends Contract {

    // initMarble - create a new marble
    async initMarble(ctx, marbleName, color, size, owner) {
        // ==== Input sanitation ====
        if (marbleName.length <= 0) {
            throw new Error('1st argument must be a non-empty string');
        }
        if (color.length <= 0) {
            throw new Error('2nd argument must be a non-empty string');
        }
        if (owner.length <= 0) {
            throw new Error('4th argument must be a non-empty string');
        }
        size = parseInt(size);
        if (typeof size !== 'number' || isNaN(size)) {
            throw new Error('3rd argument must be a numeric string');
        }
        color = color.toLowerCase();
        owner = owner.toLowerCase();

        // ==== Check if marble already exists ====
        const marbleState = await ctx.stub.getState(marbleName);
        if (marbleState && marbleState.toString()) {
            throw new Error('This marble already exists: ' + marbleName);
        }

        // ==== Create marble object and marshal to JSON ====
        const marble = { docType: 'marble', name: marbleName, color, size, owner };

        // === Save marble to state ===
        await ctx.stub.putState(marbleName, Buffer.from(JSON.stringify(marble)));
        const indexName = 'color~name';
        const colorNameIndexKey = ctx.stub.createCompositeKey(indexName, [marble.color, marble.name]);

        //  Save index entry to state. Only the key name is needed, no need to store a duplicate copy of the marble.
        //  Note - passing a 'nil' value will effectively delete the key from state, therefore we pass null character as value
        await ctx.stub.putState(colorNameIndexKey, Buffer.from('\u0000'));
    }

    // readMarble - read a marble from chaincode state
    async readMarble(ctx, marbleName) {
        if (!marbleName) {
            throw new Error(' marble name must not be empty');
        }
        const marbleAsbytes = await ctx.stub.getState(marbleName);
        if (!marbleAsbytes.toString()) {
            const jsonResp = { Error: 'Marble does not exist: ' + marbleName };
            throw new Error(JSON.stringify(jsonResp));
        }
        return marbleAsbytes.toString();
    }

    // delete - remove a marble key/value pair from state
    async delete(ctx, marbleName) {
        if (!marbleName) {
            throw new Error('marble name must not be empty');
        }
        // to maintain the color~name index, we need to read the marble first and get its color
        const valAsbytes = await ctx.stub.getState(marbleName);
        let jsonResp = {};
        if (!valAsbytes) {
            jsonResp.error = 'marble does not exist: ' + marbleName;
            throw new Error(jsonResp);
        }
        let marbleJSON;
        try {
            marbleJSON = JSON.parse(valAsbytes.toString());
        } catch (err) {
            jsonResp = {};
            jsonResp.error = 'Failed to decode JSON of: ' + marbleName;
            throw new Error(jsonResp);
        }
        await ctx.stub.deleteState(marbleName); //remove the marble from chaincode state

        // delete the index
        const indexName = 'color~name';
        const colorNameIndexKey = ctx.stub.createCompositeKey(indexName, [marbleJSON.color, marbleJSON.name]);
        if (!colorNameIndexKey) {
            throw new Error(' Failed to create the createCompositeKey');
        }
        //  Delete index entry to state.
        await ctx.stub.deleteState(colorNameIndexKey);
    }

    // transferMarble - transfer a marble by setting a new owner name on the marble
    async transferMarble(ctx, marbleName, newOwner) {
        const marbleAsBytes = await ctx.stub.getState(marbleName);
        if (!marbleAsBytes || !marbleAsBytes.toString()) {
            throw new Error('marble does not exist');
        }
        let marbleToTransfer = {};
        try {
            marbleToTransfer = JSON.parse(marbleAsBytes.toString()); //unmarshal
        } catch (err) {
            let jsonResp = {};
            jsonResp.error = 'Failed to decode JSON of: ' + marbleName;
            throw new Error(jsonResp);
        }
        marbleToTransfer.owner = newOwner.toLowerCase(); //change the owner

        const marbleJSONasBytes = Buffer.from(JSON.stringify(marbleToTransfer));
        await ctx.stub.putState(marbleName, marbleJSONasBytes); //rewrite the marble
    }

    // getMarblesByRange performs a range query based on the start and end keys provided.
    async getMarblesByRange(ctx, startKey, endKey) {
        const resultsIterator = await ctx.stub.getStateByRange(startKey, endKey);
        const results = await this._GetAllResults(resultsIterator, false);
        return JSON.stringify(results);
    }

    // transferMarblesBasedOnColor will transfer marbles of a given color to a certain new owner.
    async transferMarblesBasedOnColor(ctx, color, newOwner) {
        // Query the color~name index by color
        // This will execute a key range query on all keys starting with 'color'
        const coloredMarbleResultsIterator = await ctx.stub.getStateByPartialCompositeKey('color~name', [color]);

        // Iterate through result set and for each marble found, transfer to newOwner
        let responseRange = await coloredMarbleResultsIterator.next();
        while (!responseRange.done) {
            if (!responseRange || !responseRange.value || !responseRange.value.key) {
                return;
            }

            const { attributes } = await ctx.stub.splitCompositeKey(responseRange.value.key);
            const returnedMarbleName = attributes[1];

            // Now call the transfer function for the found marble.
            // Re-use the same function that is used to transfer individual marbles
            await this.transferMarble(ctx, returnedMarbleName, newOwner);
            responseRange = await coloredMarbleResultsIterator.next();
        }
    }

    // queryMarblesByOwner queries for marbles based on a passed in owner.
    // Only available on state databases that support rich query (e.g. CouchDB)
    async queryMarblesByOwner(ctx, owner) {
        const queryString = {};
        queryString.selector = {};
        queryString.selector.docType = 'marble';
        queryString.selector.owner = owner;
        return this.GetQueryResultForQueryString(ctx, JSON.stringify(queryString));
    }

    // Uses a query string to perform a query for marbles.
    async queryMarbles(ctx, queryString) {
        return this.GetQueryResultForQueryString(ctx, queryString);
    }

    // GetQueryResultForQueryString executes the passed in query string.
    async GetQueryResultForQueryString(ctx, queryString) {
        const resultsIterator = await ctx.stub.getQueryResult(queryString);
        const results = await this._GetAllResults(resultsIterator, false);
        return JSON.stringify(results);
    }

    // Example: Pagination with Range Query
    async getMarblesByRangeWithPagination(ctx, startKey, endKey, pageSize, bookmark) {
        const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(startKey, endKey, parseInt(pageSize), bookmark);
        const results = {};
        results.results = await this._GetAllResults(iterator, false);
        results.fetchedRecordsCount = metadata.fetchedRecordsCount;
        results.bookmark = metadata.bookmark;
        return JSON.stringify(results);
    }

    // Example: Pagination with Ad hoc Rich Query
    async queryMarblesWithPagination(ctx, queryString, pageSize, bookmark) {
        const { iterator, metadata } = await ctx.stub.getQueryResultWithPagination(queryString, parseInt(pageSize), bookmark);
        const results = {};
        results.results = await this._GetAllResults(iterator, false);
        results.fetchedRecordsCount = metadata.fetchedRecordsCount;
        results.bookmark = metadata.bookmark;
        return JSON.stringify(results);
    }

    // getHistoryForMarble returns the chain of custody for a marble since issuance.
    async getHistoryForMarble(ctx, marbleName) {
        const resultsIterator = await ctx.stub.getHistoryForKey(marbleName);
        const results = await this._GetAllResults(resultsIterator, true);
        return JSON.stringify(results);
    }

    // countMarbles walks all marbles with a bare `for await` over the un-awaited query.
    async countMarbles(ctx) {
        let n = 0;
        for await (const res of ctx.stub.getStateByRange('', '')) {
            if (res.key) {
                n++;
            }
        }
        return n;
    }

    async _GetAllResults(iterator, isHistory) {
        const allResults = [];
        let res = await iterator.next();
        while (!res.done) {
            if (res.value && res.value.value.toString()) {
                const jsonRes = {};
                if (isHistory && isHistory === true) {
                    jsonRes.TxId = res.value.txId;
                    jsonRes.Timestamp = res.value.timestamp;
                    try {
                        jsonRes.Value = JSON.parse(res.value.value.toString('utf8'));
                    } catch (err) {
                        jsonRes.Value = res.value.value.toString('utf8');
                    }
                } else {
                    jsonRes.Key = res.value.key;
                    try {
                        jsonRes.Record = JSON.parse(res.value.value.toString('utf8'));
                    } catch (err) {
                        jsonRes.Record = res.value.value.toString('utf8');
                    }
                }
                allResults.push(jsonRes);
            }
            res = await iterator.next();
        }
        iterator.close();
        return allResults;
    }
}

module.exports = Marbles;
