/**
 * Where the CLI connects: the global options (the `temporal` CLI's names) on every command, the environment as
 * fallback, flags winning; TLS and mTLS as the worker has them; the API key sent and never printed; a connection
 * failure naming the address and namespace. A local HTTP/2 server over TLS stands in for Temporal: it records the
 * handshake and the request, and answers every call UNAUTHENTICATED, so the client fails at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { connectionOptions, temporalTarget } from '../../client/cli-connection.js';
import { EXIT, runCli } from '../../client/cli.js';

const MACHINE = 'a'.repeat(40);
const KEY = 'sk-test-0123456789abcdef';

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('temporalTarget: options, then the environment, then defaults', () => {
  it('defaults: the local dev server, namespace default, the release task queue, no TLS', () => {
    const target = temporalTarget({}, {});
    assert.deepEqual(target, {
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'defender-isolation',
      apiKey: undefined,
      tls: false,
    });
  });

  it("the environment (the worker's variable names) as fallback; an option given wins", () => {
    const env = {
      TEMPORAL_ADDRESS: 'temporal.env:7233',
      TEMPORAL_NAMESPACE: 'from-env',
      TEMPORAL_TASK_QUEUE: 'queue-env',
      TEMPORAL_API_KEY: 'env-key',
    };
    const fromEnv = temporalTarget({}, env);
    assert.deepEqual(
      [fromEnv.address, fromEnv.namespace, fromEnv.taskQueue, fromEnv.apiKey?.value],
      ['temporal.env:7233', 'from-env', 'queue-env', 'env-key'],
    );
    const flags = temporalTarget(
      { address: 'temporal.flag:7233', namespace: 'prod', 'task-queue': 'queue-flag', 'api-key': 'flag-key' },
      env,
    );
    assert.deepEqual(
      [flags.address, flags.namespace, flags.taskQueue, flags.apiKey?.value],
      ['temporal.flag:7233', 'prod', 'queue-flag', 'flag-key'],
    );
  });

  it('TLS: --tls, TEMPORAL_TLS, an API key, or any TLS file or server name turns it on', () => {
    assert.deepEqual(temporalTarget({ tls: true }, {}).tls, {});
    assert.deepEqual(temporalTarget({}, { TEMPORAL_TLS: 'true' }).tls, {});
    assert.deepEqual(temporalTarget({}, { TEMPORAL_TLS: '0' }).tls, false);
    assert.deepEqual(temporalTarget({ 'api-key': KEY }, {}).tls, {});
    assert.deepEqual(temporalTarget({ 'tls-server-name': 'temporal.test' }, {}).tls, { serverName: 'temporal.test' });
    const mtls = temporalTarget(
      {},
      {
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/c.key',
        TEMPORAL_TLS_CA_PATH: '/ca.pem',
        TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      },
    );
    assert.deepEqual(mtls.tls, {
      cert: { value: '/c.pem', from: 'TEMPORAL_TLS_CLIENT_CERT_PATH' },
      key: { value: '/c.key', from: 'TEMPORAL_TLS_CLIENT_KEY_PATH' },
      ca: { value: '/ca.pem', from: 'TEMPORAL_TLS_CA_PATH' },
      serverName: 'temporal.test',
    });
  });

  it('refusals name the option or variable and the rule, never the value', () => {
    const refused = (values: Parameters<typeof temporalTarget>[0], env: NodeJS.ProcessEnv, rule: RegExp) => {
      assert.throws(
        () => temporalTarget(values, env),
        (err: Error) => {
          assert.equal(err.name, 'CliUsageError');
          assert.match(err.message, rule);
          assert.ok(!err.message.includes('s3cr3t'), err.message);
          return true;
        },
      );
    };
    refused({ address: 'http://s3cr3t@host:7233/' }, {}, /^--address must be host:port/);
    refused({}, { TEMPORAL_ADDRESS: 's3cr3t host' }, /^TEMPORAL_ADDRESS must be host:port/);
    refused({ namespace: 'a b\ns3cr3t' }, {}, /^--namespace must be a name/);
    refused({ 'api-key': 's3cr3t with spaces' }, {}, /^--api-key must be printable characters/);
    refused({ address: ' ' }, {}, /^--address must not be empty/);
    refused({ 'tls-cert-path': '/c.pem' }, {}, /--tls-cert-path and --tls-key-path .* go together/);
    refused({}, { TEMPORAL_TLS: 's3cr3t' }, /^TEMPORAL_TLS must be true, false, 1 or 0/);
  });

  it('a TLS file that cannot be read is named before connecting', () => {
    assert.throws(
      () => connectionOptions(temporalTarget({ 'tls-ca-path': '/nonexistent/ca.pem' }, {})),
      /^CliUsageError: --tls-ca-path: no such file$/,
    );
  });
});

/** A CA, a server certificate for temporal.test and a client certificate, made with openssl for this run. */
function makeCertificates(): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => {
    const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.error?.message ?? run.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test CA');
  for (const [name, cn, ext] of [
    ['server', 'temporal.test', 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth'],
    ['client', 'defender-isolation-cli', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    const sign = `x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -out ${name}.pem`;
    openssl(...sign.split(' '), '-extfile', `${name}.ext`);
  }
  return {
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

interface Seen {
  serverName: string | false;
  clientCommonName: string | undefined;
  authorization: string | undefined;
  paths: string[];
}

describe('the CLI over TLS, with a client certificate and an API key', () => {
  let certs: ReturnType<typeof makeCertificates>;
  let server: http2.Http2SecureServer;
  let address: string;
  const seen: Seen[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();

  before(async () => {
    certs = makeCertificates();
    server = http2.createSecureServer({
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('session', (session) => sessions.add(session));
    server.on('stream', (stream, headers) => {
      const socket = stream.session?.socket as TLSSocket | undefined;
      seen.push({
        serverName: socket?.servername ?? false,
        clientCommonName: socket?.getPeerCertificate().subject?.CN as string | undefined,
        authorization: headers.authorization as string | undefined,
        paths: [String(headers[':path'])],
      });
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'test server refuses',
        },
        { endStream: true },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const session of sessions) session.destroy();
    server?.close();
  });

  it('every TLS setting reaches the handshake; the failure names address and namespace, never the key', async () => {
    seen.length = 0;
    const result = await cli(
      [
        'status',
        MACHINE,
        '--address',
        address,
        '--namespace',
        'prod',
        '--tls-ca-path',
        certs.ca,
        '--tls-cert-path',
        certs.clientCert,
        '--tls-key-path',
        certs.clientKey,
        '--tls-server-name',
        'temporal.test',
        '--api-key',
        KEY,
        '--json',
      ],
      { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'from-env', TEMPORAL_API_KEY: 'env-key' },
    );
    assert.equal(result.code, EXIT.error, result.err);
    assert.equal(result.out, '');
    const { error } = JSON.parse(result.err) as { error: { type: string; message: string } };
    assert.equal(error.type, 'ConnectionFailed');
    assert.match(
      error.message,
      new RegExp(`^cannot connect to Temporal at ${address} \\(namespace prod\\): .*test server refuses`),
    );
    assert.ok(!result.err.includes(KEY), 'the key is never printed');
    assert.equal(
      seen.length > 0,
      true,
      'the handshake completed: the CLI trusted the CA and presented its certificate',
    );
    assert.equal(seen[0]!.serverName, 'temporal.test');
    assert.equal(seen[0]!.clientCommonName, 'defender-isolation-cli');
    assert.equal(seen[0]!.authorization, `Bearer ${KEY}`, 'the flag wins over TEMPORAL_API_KEY');
    assert.match(seen[0]!.paths[0]!, /WorkflowService\/GetSystemInfo$/);
  });

  it('the same from the environment, and global options before the command or on bulk and schedule', async () => {
    const env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_CA_PATH: certs.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: KEY,
    };
    const bulk = ['bulk', '--machine', MACHINE, '--comment', 'x', '--requested-by', 'alice@contoso.com'];
    for (const args of [
      ['--namespace', 'prod', 'status', MACHINE],
      ['list', '--namespace', 'prod'],
      [...bulk, '--namespace', 'prod', '--task-queue', 'q'],
      ['schedule', 'list', '--namespace', 'prod'],
    ]) {
      seen.length = 0;
      const result = await cli(args, env);
      assert.equal(result.code, EXIT.error, `${args.join(' ')}: ${result.err}`);
      assert.match(
        result.err,
        new RegExp(`cannot connect to Temporal at ${address} \\(namespace prod\\)`),
        args.join(' '),
      );
      assert.ok(!result.err.includes(KEY));
      assert.equal(seen[0]?.clientCommonName, 'defender-isolation-cli', args.join(' '));
      assert.equal(seen[0]?.authorization, `Bearer ${KEY}`);
    }
  });

  it('without the CA the server is not trusted: the failure says so, naming the address', async () => {
    const result = await cli(['status', MACHINE, '--address', address, '--tls', '--tls-server-name', 'temporal.test']);
    assert.equal(result.code, EXIT.error);
    assert.match(result.err, new RegExp(`cannot connect to Temporal at ${address} \\(namespace default\\): `));
  });
});
