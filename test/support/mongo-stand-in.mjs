// A process that speaks just enough of the MongoDB wire protocol for a driver to connect and ask
// `hello`: what a standalone server or a replica-set member answers (argv[2]: "standalone" | "replica-set").
// It records nothing and answers every other command { ok: 1 }. Prints its port, then serves.
import { createServer } from 'node:net';
import { BSON } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const kind = process.argv[2] ?? 'standalone';
let nextId = 1;

function helloAnswer() {
  const answer = {
    ok: 1,
    isWritablePrimary: true,
    ismaster: true,
    helloOk: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: nextId,
    minWireVersion: 0,
    maxWireVersion: 21,
  };
  if (kind === 'replica-set') Object.assign(answer, { setName: 'rs0', setVersion: 1, secondary: false, hosts: [`127.0.0.1:${port}`], me: `127.0.0.1:${port}`, primary: `127.0.0.1:${port}` });
  return answer;
}

function answerTo(command) {
  const name = Object.keys(command)[0]?.toLowerCase();
  return name === 'hello' || name === 'ismaster' ? helloAnswer() : { ok: 1 };
}

function header(length, responseTo, opCode) {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextId++, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function reply(message) {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    let at = 20;
    while (message[at] !== 0) at++;
    at += 1 + 8; // the collection name's terminator, numberToSkip, numberToReturn
    const query = BSON.deserialize(message.subarray(at, at + message.readInt32LE(at)));
    const doc = BSON.serialize(answerTo(query));
    const body = Buffer.alloc(20);
    body.writeInt32LE(1, 16); // numberReturned; flags, cursor id and startingFrom stay 0
    return Buffer.concat([header(16 + 20 + doc.length, requestId, OP_REPLY), body, doc]);
  }
  if (opCode === OP_MSG) {
    // flagBits, then section kind 0: the command's body.
    const at = 16 + 4 + 1;
    const command = BSON.deserialize(message.subarray(at, at + message.readInt32LE(at)));
    const doc = BSON.serialize(answerTo(command));
    const body = Buffer.alloc(5); // flagBits 0, section kind 0
    return Buffer.concat([header(16 + 5 + doc.length, requestId, OP_MSG), body, doc]);
  }
  return undefined;
}

const server = createServer((socket) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const length = pending.readInt32LE(0);
      const answer = reply(pending.subarray(0, length));
      pending = pending.subarray(length);
      if (answer) socket.write(answer);
      else socket.destroy();
    }
  });
  socket.on('error', () => socket.destroy());
});
let port = 0;
server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
