'use strict';

const { Contract } = require('fabric-contract-api');

// Module state survives between transactions in a reused context, as in a Fabric chaincode process.
let calls = 0;
let hoard = [];
let stash;

class Hostile extends Contract {

    async Ok(ctx) {
        calls++;
        await ctx.stub.putState('ok', Buffer.from(ctx.stub.getTxID()));
        return 'ok';
    }

    async Calls(ctx) {
        return calls;
    }

    async InfiniteLoop(ctx) {
        for (;;) { /* spin */ }
    }

    async LoopAfterAwait(ctx) {
        await ctx.stub.getState('x');
        for (;;) { /* spin */ }
    }

    async MemoryBomb(ctx) {
        for (;;) {
            hoard.push(new Array(1e6).fill(hoard.length));
        }
    }

    async PendingPromise(ctx) {
        await new Promise(() => { /* never settles */ });
        return 'unreachable';
    }

    async OversizedWrite(ctx, megabytes) {
        const big = 'x'.repeat(parseInt(megabytes) * 1024 * 1024);
        await ctx.stub.putState('big', Buffer.from(big));
        return 'written';
    }

    async Clock(ctx) {
        return JSON.stringify({
            now: Date.now(),
            date: new Date().toISOString(),
            called: typeof Date(),
            intl: new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).format(),
            weakRef: typeof WeakRef,
            local: [new Date().toString(), new Date().getHours(), new Date().getTimezoneOffset(), new Date(2020, 0, 2, 3).toISOString()],
            random: [Math.random(), Math.random()],
            txDate: ctx.stub.getDateTimestamp().toISOString(),
            viaConstructor: new (new Date().constructor)().getTime(),
        });
    }

    // What the host's time zone and locale (TZ, LANG) could change.
    async Locale(ctx) {
        const resolved = Intl.DateTimeFormat().resolvedOptions();
        return JSON.stringify({
            locale: resolved.locale,
            timeZone: resolved.timeZone,
            parsed: [Date.parse('2024-01-01T00:00:00'), new Date('2024-01-01 00:00').getTime()],
            number: (1234567.891).toLocaleString(),
            date: new Date(0).toLocaleString(),
            dateNoZone: new Date(0).toLocaleTimeString(undefined, { timeZone: undefined }),
            upper: 'i'.toLocaleUpperCase(),
            sorted: ['z', 'ä', 'a', 'Z', 'å'].sort((a, b) => a.localeCompare(b)),
            list: new Intl.ListFormat().format(['a', 'b']),
            sameCtor: new Intl.NumberFormat().constructor === Intl.NumberFormat,
        });
    }

    async Escape(ctx) {
        const found = {};
        // A bundler's `process` shim is fine; Node's own (exit, pid, dlopen, hrtime) is an escape.
        const kind = (p) => (p === undefined ? 'undefined' : ['exit', 'pid', 'dlopen', 'hrtime', 'kill'].some((k) => p[k] !== undefined) ? 'node' : 'shim');
        found.process = kind(typeof process === 'undefined' ? undefined : process);
        try {
            const name = ['f', 's'].join('');
            require(name);
            found.require = 'loaded fs';
        } catch (e) {
            found.require = 'threw';
        }
        found.setTimeout = typeof setTimeout;
        found.host = typeof __weftHost;
        found.dispatch = typeof globalThis.__weftDispatch;
        try {
            found.viaFunction = kind(this.constructor.constructor('return typeof process === "undefined" ? undefined : process')());
        } catch (e) {
            found.viaFunction = 'threw';
        }
        return JSON.stringify(found);
    }

    async Relay(ctx, chaincodeName, fcn, arg) {
        const response = await ctx.stub.invokeChaincode(chaincodeName, [fcn, arg], '');
        if (response.status !== 200) {
            throw new Error(`relay failed: ${response.message}`);
        }
        await ctx.stub.putState('relayed', response.payload);
        return response.payload.toString();
    }

    async WriteThenPage(ctx) {
        await ctx.stub.putState('w', Buffer.from('1'));
        await ctx.stub.getStateByRangeWithPagination('', '', 1, '');
    }

    async Stash(ctx) {
        // A promise left dangling on purpose: its continuation would write with this transaction's stub.
        new Promise((resolve) => { stash = resolve; }).then(() => ctx.stub.putState('late', Buffer.from('x'))).catch(() => { /* refused */ });
        return 'stashed';
    }

    async Release(ctx) {
        if (stash) {
            stash();
        }
        return 'released';
    }

    async ThrowString(ctx) {
        throw 'plain string thrown';
    }

    async BadStubArgs(ctx) {
        await ctx.stub.putState(42, 'value');
    }
}

module.exports = Hostile;
