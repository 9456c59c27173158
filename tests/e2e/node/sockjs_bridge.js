// One sockjs-client session driven over stdin/stdout, for tests/e2e/transport_clients.py.
//   node sockjs_bridge.js <url> '<transports whitelist as JSON>'
// stdin: {"send": "<text>"} or {"close": true}, one per line.
// stdout: {"event": "open", "transport"}, {"event": "message", "data"}, {"event": "heartbeat"},
//         {"event": "close", "code", "reason"}, one per line.
'use strict';
const SockJS = require('sockjs-client');
const readline = require('readline');

const url = process.argv[2];
const transports = JSON.parse(process.argv[3]);
const out = (event) => process.stdout.write(JSON.stringify(event) + '\n');

// As @livechat/customer-sdk 2.0.0-alpha.3 does: new SockJS(url, undefined, {transports}).
const sock = new SockJS(url, undefined, { transports });
sock.addEventListener('open', () => out({ event: 'open', transport: sock.transport }));
sock.addEventListener('message', (e) => out({ event: 'message', data: e.data }));
sock.addEventListener('heartbeat', () => out({ event: 'heartbeat' }));
sock.addEventListener('close', (e) => {
  out({ event: 'close', code: e.code, reason: e.reason });
  setTimeout(() => process.exit(0), 10);
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if (command.close) {
    sock.close();
  } else {
    sock.send(command.send);
  }
});
