/**
 * The embedded dev server's start-up: the ports it picks, and what it does when a port is taken before the server
 * binds it (CI once failed so, "bind: address already in use"). Real servers from the pinned CLI.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startDevServer } from '../../dev/dev-server.js';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import { RESULTS_DIR } from '../helpers/temporal.js';

/** A plain TCP listener; `close` also drops the connections the dev-server start-up opened to it. */
function listenOn(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((closed) => server.close(() => closed()));
        },
      }),
    );
  });
}

describe('dev server start-up', () => {
  let cliPath: string;
  let occupied: { close(): Promise<void> };
  let occupiedPort: number;

  before(async () => {
    const cli = resolveTemporalCli();
    cliPath = cli.path;
    occupiedPort = await freePort();
    occupied = await listenOn(occupiedPort);
  });
  after(() => occupied.close());

  it('picks ports below the range the kernel hands to outbound connections', async () => {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      assert.ok(port >= 10_000 && port < Number(ephemeralLow), `port ${port} is inside the ephemeral range`);
    }
    // Each pick was free when picked: it can be listened on now.
    await (await listenOn(ports[0]!)).close();
  });

  it('picks another port when its pick is taken before the server binds it', async () => {
    const picks: number[] = [];
    const server = await startDevServer({
      cliPath,
      logFile: path.join(RESULTS_DIR, 'temporal-dev-server-test.log'),
      pickPort: async () => {
        picks.push(picks.length === 0 ? occupiedPort : await freePort());
        return picks.at(-1)!;
      },
    });
    try {
      assert.equal(picks.length, 2, 'one retry after the taken port');
      assert.equal(server.address, `127.0.0.1:${picks[1]}`);
    } finally {
      await server.stop();
    }
  });

  it('fails at once, naming the port, when the port the caller chose is taken', async () => {
    await assert.rejects(
      startDevServer({ cliPath, port: occupiedPort }),
      (error: Error) =>
        error.message.includes(`127.0.0.1:${occupiedPort}`) && /address already in use/.test(error.message),
    );
  });
});
