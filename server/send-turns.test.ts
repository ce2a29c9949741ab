// Bodies sent in turns: several large ones at once each arrive whole and in order, with the right
// Content-Length; a client that goes away mid-body does not stop the others.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendInTurns, SLICE_BYTES } from './send-turns.js';

/** A body of `n` pieces of uneven sizes, each byte telling where it is. */
const body = (seed: number, n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => Buffer.from(Array.from({ length: SLICE_BYTES + 1000 * i + seed }, (_, j) => (seed + i + j) % 251)));

const bodies = new Map([[1, body(1, 12)], [2, body(2, 30)], [3, body(3, 1)], [4, []]]);
let server: Server;
let base = '';
beforeAll(async () => {
  const app = express();
  app.get('/:n', (req, res) => {
    res.status(200).set('Content-Type', 'application/octet-stream');
    sendInTurns(res, bodies.get(Number(req.params.n))!);
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('sendInTurns', () => {
  it('sends several bodies at once, each whole, in order, with its length', async () => {
    const answers = await Promise.all([1, 2, 3, 4, 2].map(async (n) => {
      const response = await fetch(`${base}/${n}`);
      return { n, length: response.headers.get('content-length'), bytes: Buffer.from(await response.arrayBuffer()) };
    }));
    for (const { n, length, bytes } of answers) {
      const want = Buffer.concat(bodies.get(n)!);
      expect(length).toBe(String(want.length));
      expect(bytes.equals(want)).toBe(true);
    }
  });

  it('a client gone mid-body leaves the others whole', async () => {
    const gone = new Promise<void>((resolve) => {
      const req = request(`${base}/2`, (res) => res.once('data', () => (req.destroy(), resolve())));
      req.end();
    });
    const [, other] = await Promise.all([gone, fetch(`${base}/1`).then((r) => r.arrayBuffer())]);
    expect(Buffer.from(other).equals(Buffer.concat(bodies.get(1)!))).toBe(true);
    expect(Buffer.from(await (await fetch(`${base}/3`)).arrayBuffer()).equals(bodies.get(3)![0]!)).toBe(true);
  });
});
