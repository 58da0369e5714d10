/**
 * Verified approvals from the CLI (issue 17): the run's dev server, the Defender simulator, a release worker that
 * requires signed approval tokens from the approvals page, and the page with the local demo provider. Bob signs the
 * CLI in with the device code (the provider's pages completed by plain HTTP, as a browser would) and approves alice's
 * release, which ends `released`; an ID token from a file does the same for automation. The page's API refuses a
 * missing, forged, expired or misaddressed ID token (401), the requester (403), a release that is not awaiting (409)
 * and one that does not exist (404); a refusal changes nothing (no Defender call). No token in a log line or output.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { loadApprovalsConfig } from '../../approvals/config.js';
import { accountByUpn } from '../../approvals/idp/demo-accounts.js';
import { startApprovalsPage, type ApprovalsPage } from '../../approvals/service.js';
import { loadSigningKey } from '../../approvals/page/tokens.js';
import { runCli } from '../../client/cli.js';
import { progressQuery } from '../../contract/index.js';
import { freePort } from '../../dev/dev-server.js';
import { completeDeviceSignIn, withDeviceSignIn } from '../helpers/device-sign-in.js';
import { credentialsFor, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { RESULTS_DIR } from '../helpers/temporal.js';

const DATA_DIR = path.join(RESULTS_DIR, 'cli-verified', 'data');

async function rs256Key(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, use: 'sig' };
}

describe('verified approvals from the CLI, through the approvals page', () => {
  let h: ReleaseHarness;
  let approvals: ApprovalsPage;
  let idpKey: JWK;
  const logs: string[] = [];
  const printed: string[] = [];
  const tokenDir = mkdtempSync(path.join(os.tmpdir(), 'cli-verified-'));

  before(async () => {
    idpKey = await rs256Key('local-test');
    const port = await freePort();
    mkdirSync(DATA_DIR, { recursive: true });
    // The page's key is made first, so the worker can trust it before the page starts (with the same data dir).
    const pageKey = await loadSigningKey({ file: null, dataDir: DATA_DIR });
    const origin = `http://127.0.0.1:${port}`;
    h = await startReleaseHarness('cli-verified', {}, undefined, (sim) => ({
      tenants: {
        default: {
          credentials: credentialsFor(sim),
          rateBudget: { perMinute: 6000, perHour: 360_000 },
          approval: { issuers: [{ issuer: origin, keys: { keys: [pageKey.publicJwk as never] } }] },
        },
      },
    }));
    approvals = await startApprovalsPage({
      config: loadApprovalsConfig({ APPROVALS_BIND_ADDRESS: `127.0.0.1:${port}` }),
      client: h.client,
      dataDir: DATA_DIR,
      localProviderKey: idpKey,
      log: (line) => logs.push(line),
    });
    assert.equal(approvals.origin, origin);
  });
  after(async () => {
    await approvals?.close();
    await h?.stop();
  });

  /** An ID token as the local provider issues it to the CLI (signed with its key), or a variation of one. */
  async function idToken(
    upn: string,
    change: { aud?: string; expIn?: number; issuedAgo?: number; key?: JWK } = {},
  ): Promise<string> {
    const account = accountByUpn(upn)!;
    const key = change.key ?? idpKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ oid: account.sub, preferred_username: upn, email: upn, name: account.name })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid! })
      .setIssuer(approvals.issuer)
      .setAudience(change.aud ?? 'defender-isolation-cli')
      .setSubject(account.sub)
      .setIssuedAt(now - (change.issuedAgo ?? 60))
      .setExpirationTime(now + (change.expIn ?? 600))
      .sign(await importJWK(key, 'RS256'));
  }

  /** Runs the CLI until it prints the device code, signs `upn` in there, and returns what the CLI ended with. */
  const signedInCli = (args: string[], upn: string) => withDeviceSignIn((onErr) => cliRun(args, onErr), upn);

  function tokenFile(token: string): string {
    const file = path.join(tokenDir, `${Math.random().toString(36).slice(2)}.jwt`);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return file;
  }

  async function decide(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${approvals.origin}/api/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: { type: string; message: string } } };
  }

  /** A batch (a dry run, ended at once) whose id looks like a release's. */
  async function aBatch(machineId: string): Promise<string> {
    const workflowId = `release-batch-${Date.now()}`;
    await h.client.workflow.start('bulkRelease', {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ comment: 'dry run', requestedBy: 'alice@contoso.com', machineIds: [machineId], dryRun: true }],
    });
    return workflowId;
  }

  /** `POST /api/requests` as the CLI sends it: the page's answer (a request token and the signed-in name), or refusal. */
  async function askToRequest(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${approvals.origin}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { requestToken?: string; requestedBy?: string; error?: { type: string } };
    return { status: response.status, body: answer };
  }

  /** Alice's release awaiting approval, requested with her request token from the page. */
  async function awaitingRelease() {
    const machineId = h.sim.addMachine({ isolated: true }).id;
    const workflowId = `release-${machineId}-${h.taskQueue}`;
    const asked = await askToRequest(
      { workflowId, comment: 'Clean after re-imaging' },
      { authorization: `Bearer ${await idToken('alice@contoso.com')}` },
    );
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const started = await h.start({ machineId, approval: {}, requestToken: asked.body.requestToken! });
    const status = await h.waitForState(started.workflowId, 'awaiting-approval');
    assert.deepEqual([status.requestedBy, status.requester?.verified], ['alice@contoso.com', true]);
    return { machineId, workflowId: started.workflowId };
  }

  /** The CLI in this process: its exit code and output, with stderr lines as they come (the sign-in prompt). */
  function cliRun(args: string[], onErr: (line: string) => void = () => {}) {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => (err.push(l), onErr(l)) };
    return runCli([...args, '--approvals-url', approvals.origin], io).then((code) => {
      printed.push(...out, ...err);
      return { code, out: out.join('\n'), err: err.join('\n') };
    });
  }

  it('tells the CLI where to sign in', async () => {
    const info = (await (await fetch(`${approvals.origin}/api/sign-in`)).json()) as Record<string, string>;
    assert.deepEqual(info, { issuer: approvals.issuer, clientId: 'defender-isolation-cli', scope: info.scope });
    assert.match(info.scope!, /\bopenid\b/);
  });

  it('refuses a missing, forged, expired or misaddressed ID token, the requester, and an unknown release', async () => {
    const { machineId, workflowId } = await awaitingRelease();
    const body = { release: workflowId, decision: 'approve', comment: 'ok' };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const rogue = await rs256Key('local-test');
    const cases: [Awaited<ReturnType<typeof decide>>, number, string, RegExp][] = [
      [await decide(body), 401, 'Unauthenticated', /Authorization: Bearer/],
      // A browser's session cookie is not read on this route: it authenticates nothing.
      [await decide(body, { cookie: '__Host-sid=anything' }), 401, 'Unauthenticated', /Bearer/],
      [await decide(body, bearer(await idToken('bob@contoso.com', { key: rogue }))), 401, 'TokenRefused', /signature/],
      [await decide(body, bearer(await idToken('bob@contoso.com', { expIn: -120 }))), 401, 'TokenRefused', /expired/],
      // Unexpired but signed in 20 minutes ago: a leaked ID token decides nothing after 10 minutes.
      [
        await decide(body, bearer(await idToken('bob@contoso.com', { issuedAgo: 1200, expIn: 2400 }))),
        401,
        'TokenRefused',
        /expired|iat/,
      ],
      [
        await decide(body, bearer(await idToken('bob@contoso.com', { aud: 'approvals-page' }))),
        401,
        'TokenRefused',
        /another client/,
      ],
      [await decide(body, bearer(await idToken('alice@contoso.com'))), 403, 'MayNotDecide', /four-eyes/],
      [
        await decide({ ...body, release: 'release-nope' }, bearer(await idToken('bob@contoso.com'))),
        404,
        'NotFound',
        /No such release/,
      ],
      // A batch is no release, whatever its id says: it is decided on the page.
      [
        await decide({ ...body, release: await aBatch(machineId) }, bearer(await idToken('bob@contoso.com'))),
        404,
        'NotFound',
        /No such release/,
      ],
      [
        await decide({ ...body, decision: 'maybe' }, bearer(await idToken('bob@contoso.com'))),
        400,
        'InvalidInput',
        /decision: must be 'approve' or 'reject'/,
      ],
    ];
    for (const [answer, status, type, message] of cases) {
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.error?.type, type);
      assert.match(answer.body.error!.message, message);
      assert.doesNotMatch(answer.body.error!.message, /eyJ/);
    }
    const form = await fetch(`${approvals.origin}/api/decisions`, {
      method: 'POST',
      headers: { ...bearer(await idToken('bob@contoso.com')), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    assert.ok([403, 415].includes(form.status), `a form post: ${form.status}`);
    assert.equal((await h.waitForState(workflowId, 'awaiting-approval')).approval.decision, null);
    assert.equal(h.unisolatePosts(machineId), 0);
  });

  it('bob signs the CLI in with the device code and approves alice’s release; it ends released', async () => {
    const { machineId, workflowId } = await awaitingRelease();
    let prompted: (found: { uri: string; code: string }) => void;
    const prompt = new Promise<{ uri: string; code: string }>((resolve) => (prompted = resolve));
    const run = cliRun(['approve', workflowId, '--sign-in', '--comment', 'Checked from the CLI'], (line) => {
      const match = /^To sign in, open (\S+) and enter code (\S+)$/.exec(line);
      if (match) prompted({ uri: match[1]!, code: match[2]! });
    });
    const { uri, code } = await prompt;
    assert.equal(new URL(uri).origin, approvals.issuer);
    await completeDeviceSignIn({ verificationUri: uri, userCode: code, upn: 'bob@contoso.com' });
    const result = await run;
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, new RegExp(`^Approved ${workflowId} as bob@contoso\\.com`));
    const status = await h.waitForState(workflowId, 'released');
    assert.equal(status.approval.decision?.by, 'bob@contoso.com');
    assert.equal(status.approval.decision?.comment, 'Checked from the CLI');
    assert.equal(status.approval.decision?.verified?.iss, approvals.origin);
    assert.equal(status.approval.decision?.verified?.idp, approvals.issuer);
    assert.equal(h.unisolatePosts(machineId), 1);
    assert.ok(logs.some((l) => l.includes(`bob@contoso.com approves ${workflowId} from the CLI (token sha256 `)));

    const again = await decide(
      { release: workflowId, decision: 'approve' },
      { authorization: `Bearer ${await idToken('bob@contoso.com')}` },
    );
    assert.equal(again.status, 409);
    assert.equal(again.body.error?.type, 'NotAwaiting');
  });

  it('an ID token from a file approves too (automation), and --json prints the outcome', async () => {
    const { machineId, workflowId } = await awaitingRelease();
    const file = tokenFile(await idToken('bob@contoso.com'));
    const result = await cliRun(['approve', workflowId, '--id-token-file', file, '--json']);
    assert.equal(result.code, 0, result.err);
    const answer = JSON.parse(result.out) as { outcome: string; approver: string; status: { workflowId: string } };
    assert.deepEqual([answer.outcome, answer.approver], ['approved', 'bob@contoso.com']);
    await h.waitForState(workflowId, 'released');
    assert.equal(h.unisolatePosts(machineId), 1);
  });

  it('alice approving her own release from the CLI is refused; nothing changed', async () => {
    const { machineId, workflowId } = await awaitingRelease();
    const file = tokenFile(await idToken('alice@contoso.com'));
    const result = await cliRun(['approve', workflowId, '--id-token-file', file, '--comment', 'mine']);
    assert.equal(result.code, 4, result.err);
    assert.match(result.err, /^MayNotDecide: You cannot decide this release: you requested this release/);
    const status = await h.waitForState(workflowId, 'awaiting-approval');
    assert.equal(status.approval.decision, null);
    assert.equal(h.unisolatePosts(machineId), 0);
  });

  it('carol rejects with a reason from the CLI; usage errors are refused before anything is sent', async () => {
    const { machineId, workflowId } = await awaitingRelease();
    const file = tokenFile(await idToken('carol@contoso.com'));
    const usage = await cliRun(['reject', workflowId, '--id-token-file', file]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /reject needs --reason/);
    const mixed = await cliRun(['approve', workflowId, '--sign-in', '--by', 'bob@contoso.com']);
    assert.equal(mixed.code, 2);
    const junk = await cliRun(['approve', workflowId, '--id-token-file', tokenFile('not a token')]);
    assert.equal(junk.code, 2);
    assert.doesNotMatch(junk.err, /not a token/);
    const rejected = await cliRun(['reject', workflowId, '--id-token-file', file, '--reason', 'Still beaconing']);
    assert.equal(rejected.code, 0, rejected.err);
    assert.match(rejected.out, /^Rejected .* as carol@contoso\.com/);
    const status = await h.waitForState(workflowId, 'rejected');
    assert.equal(status.approval.decision?.comment, 'Still beaconing');
    assert.equal(h.unisolatePosts(machineId), 0);
  });

  it('alice requests with release --sign-in, bob approves with approve --sign-in: released, the requester verified', async () => {
    const machineId = h.sim.addMachine({ isolated: true }).id;
    const workflowId = `release-${machineId}`;
    const usage = await cliRun([
      'release',
      machineId,
      '--sign-in',
      '--comment',
      'x',
      '--requested-by',
      'carol@contoso.com',
    ]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--requested-by names the requester/);
    const args = ['release', machineId, '--sign-in', '--comment', 'Re-imaged, EDR clean', '--incident', '42'];
    const requested = await signedInCli(
      [
        ...args,
        '--task-queue',
        h.taskQueue,
        '--address',
        process.env.TEMPORAL_TEST_ADDRESS!,
        '--namespace',
        process.env.TEMPORAL_TEST_NAMESPACE ?? 'default',
      ],
      'alice@contoso.com',
    );
    assert.equal(requested.code, 0, requested.err);
    assert.match(requested.out, new RegExp(`^Started release ${workflowId}`));
    const awaiting = await h.waitForState(workflowId, 'awaiting-approval');
    assert.equal(awaiting.requestedBy, 'alice@contoso.com');
    assert.equal(awaiting.requester?.iss, approvals.origin);
    assert.ok(logs.some((l) => l.includes(`alice@contoso.com requests ${workflowId} from the CLI (token sha256 `)));
    const own = await cliRun(['approve', workflowId, '--id-token-file', tokenFile(await idToken('alice@contoso.com'))]);
    assert.equal(own.code, 4, own.err);
    const approved = await signedInCli(
      ['approve', workflowId, '--sign-in', '--comment', 'Verified'],
      'bob@contoso.com',
    );
    assert.equal(approved.code, 0, approved.err);
    const status = await h.waitForState(workflowId, 'released');
    assert.deepEqual([status.requestedBy, status.requester?.verified], ['alice@contoso.com', true]);
    assert.deepEqual([status.approval.decision?.by, !!status.approval.decision?.verified], ['bob@contoso.com', true]);
    assert.equal(h.unisolatePosts(machineId), 1);
  });

  it('a start that names a person without proof (the stock CLI’s way) ends invalid-input, no Defender call', async () => {
    const machineId = h.sim.addMachine({ isolated: true }).id;
    const workflowId = `release-${machineId}-unproven`;
    const request = { machineId, comment: 'Clean', requestedBy: 'carol@contoso.com', approval: {} };
    await h.client.workflow.start('releaseMachine', { taskQueue: h.taskQueue, workflowId, args: [request] });
    const status = await h.waitForState(workflowId, 'invalid-input');
    assert.match(status.lastError?.message ?? '', /requestToken is required: requestedBy names a person/);
    assert.equal(h.sim.requests.filter((r) => r.machineId === machineId).length, 0);
    const unauthenticated = await askToRequest({ workflowId, comment: 'Clean' });
    assert.deepEqual([unauthenticated.status, unauthenticated.body.error?.type], [401, 'Unauthenticated']);
  });

  it('bulk --id-token-file proves the batch requester the same way (automation acting for alice)', async () => {
    const machineId = h.sim.addMachine({ isolated: true }).id;
    const workflowId = `bulk-signed-in-${h.taskQueue}`;
    const file = tokenFile(await idToken('alice@contoso.com'));
    const connection = ['--address', process.env.TEMPORAL_TEST_ADDRESS!, '--task-queue', h.taskQueue];
    const args = ['bulk', '--machine', machineId, '--comment', 'Outbreak contained', '--id-token-file', file];
    const started = await cliRun([...args, '--workflow-id', workflowId, ...connection, '--json']);
    assert.equal(started.code, 0, started.err);
    let progress = await h.client.workflow.getHandle(workflowId).query(progressQuery);
    for (let i = 0; i < 300 && progress.state !== 'awaiting-approval'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      progress = await h.client.workflow.getHandle(workflowId).query(progressQuery);
    }
    assert.deepEqual([progress.requestedBy, progress.requester?.verified], ['alice@contoso.com', true]);
    await h.client.workflow.getHandle(workflowId).terminate('proven: done');
  });

  it('no log line nor CLI output holds a token', () => {
    for (const line of [...logs, ...printed]) assert.doesNotMatch(line, /eyJ[A-Za-z0-9_-]{10,}/, line);
  });
});
