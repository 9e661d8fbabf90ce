// Node's `ws` client (pinned in package.json) against a Rodeo server, for
// test/websocket/ws_clients_test.cpp. Usage: node client.js CASE PORT [N]
// Prints "ok ..." on success, or "fail: why"; exits non-zero on failure.
'use strict';
const WebSocket = require('ws');

const [, , kase, port, n] = process.argv;
const url = (path) => `ws://127.0.0.1:${port}${path}`;

// `early`: start waiting for the first message in the 'open' event itself. A message that came in
// the same read as the 101 is emitted before the promise's continuation would run.
function open(path, opts = {}, protocols = undefined, early = false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url(path), protocols, { perMessageDeflate: false, ...opts });
    ws.once('open', () => {
      if (early) ws.first = next(ws);
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

function next(ws) {
  return new Promise((resolve, reject) => {
    const onMessage = (data, isBinary) => {
      ws.off('close', onClose);
      resolve({ data, isBinary });
    };
    const onClose = (code) => {
      ws.off('message', onMessage);
      reject(new Error(`closed ${code}`));
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
  });
}

function closed(ws) {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const cases = {
  async echo() {
    const ws = await open('/echo');
    ws.send('hello');
    let m = await next(ws);
    expect(!m.isBinary && m.data.toString() === 'hello', 'text echo');
    ws.send(Buffer.from([0, 1, 2, 255]));
    m = await next(ws);
    expect(m.isBinary && m.data.equals(Buffer.from([0, 1, 2, 255])), 'binary echo');
    const big = 'z'.repeat(300000);
    ws.send(big);
    m = await next(ws);
    expect(m.data.toString() === big, 'big echo');
    ws.close();
    await closed(ws);
    return 'ok echo';
  },
  async deflate() {
    const ws = await open('/echo', { perMessageDeflate: true });
    expect(ws.extensions.startsWith('permessage-deflate'), `extensions: ${ws.extensions}`);
    for (let i = 0; i < 20; i++) {
      const text = `message ${i} ` + 'abc'.repeat(3000);
      ws.send(text);
      const m = await next(ws);
      expect(m.data.toString() === text, `deflate echo ${i}`);
    }
    ws.close();
    await closed(ws);
    return 'ok deflate';
  },
  async fragments() {
    const ws = await open('/echo');
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
    const m = await next(ws);
    expect(m.data.toString() === 'fragmented', `got ${m.data}`);
    const pong = new Promise((resolve) => ws.once('pong', (d) => resolve(d.toString())));
    ws.ping('hi');
    expect((await pong) === 'hi', 'pong payload');
    ws.close();
    await closed(ws);
    return 'ok fragments';
  },
  async server_close() {
    const ws = await open('/echo');
    const c = closed(ws);
    ws.send('close');
    const { code, reason } = await c;
    return `ok ${code} ${reason}`;
  },
  async client_close() {
    const ws = await open('/echo');
    const c = closed(ws);
    ws.close(4001, 'done');
    const { code, reason } = await c;
    return `ok ${code} ${reason}`;
  },
  async too_big() {
    const ws = await open('/echo');
    const c = closed(ws);
    ws.send('y'.repeat(2 << 20));
    const { code } = await c;
    return `ok ${code}`;
  },
  async subprotocol() {
    const ws = await open('/echo', {}, ['mqtt', 'chat']);
    const p = ws.protocol;
    ws.close();
    await closed(ws);
    return `ok ${p}`;
  },
  async broadcast() {
    const socks = [];
    for (let i = 0; i < Number(n); i++) socks.push(await open('/room', {}, undefined, true));
    const got = Promise.all(socks.map((s) => s.first));
    console.log('ready');
    const msgs = await got;
    const bad = msgs.filter((m) => m.data.toString() !== 'to everyone');
    for (const s of socks) s.close();
    return bad.length === 0 ? `ok ${msgs.length}` : `fail: ${bad.length} wrong`;
  },
};

const timer = setTimeout(() => { console.log('fail: timeout'); process.exit(1); }, 100000);
cases[kase]()
  .then((r) => { console.log(r); clearTimeout(timer); process.exit(r.startsWith('ok') ? 0 : 1); })
  .catch((e) => { console.log(`fail: ${e.message}`); clearTimeout(timer); process.exit(1); });
