/**
 * Verified approvals end to end (issue 17): the dev server, the simulator, and the stock `temporal` CLI sending the
 * decisions anyone with client access could. Forged approvals are refused with their reason and cause no Defender
 * call; a token minted for this run by the trusted approvals service approves. Figures go to
 * test-results/verified-approvals.json (docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { resolveTemporalCli } from '../../dev/temporal-cli.js';
import {
  mintApprovalToken,
  mintRequestToken,
  newSigningKey,
  trusting,
  type SigningKey,
} from '../helpers/approval-tokens.js';
import { credentialsFor, startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { RESULTS_DIR } from '../helpers/temporal.js';

const run = promisify(execFile);
const figures = { forgeriesTried: 0, forgeriesAccepted: 0, defenderCallsCaused: 0 };

describe('verified approvals, end to end through the stock temporal CLI', () => {
  let h: ReleaseHarness;
  let key: SigningKey;
  let rogue: SigningKey;
  before(async () => {
    key = await newSigningKey();
    rogue = await newSigningKey();
    h = await startReleaseHarness('verified', {}, undefined, (sim) => ({
      tenants: {
        default: {
          credentials: credentialsFor(sim),
          rateBudget: { perMinute: 6000, perHour: 360_000 },
          approval: trusting(key),
        },
      },
    }));
  });
  after(async () => {
    await h?.stop();
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(path.join(RESULTS_DIR, 'verified-approvals.json'), `${JSON.stringify(figures, null, 2)}\n`);
  });

  /** `temporal workflow update execute --name approve`: stdout on success, the refusal's text otherwise. */
  async function approveWithCli(workflowId: string, input: unknown): Promise<{ ok: boolean; text: string }> {
    const args = ['workflow', 'update', 'execute', '--address', process.env.TEMPORAL_TEST_ADDRESS!];
    args.push('--workflow-id', workflowId, '--name', 'approve', '--input', JSON.stringify(input));
    return run(resolveTemporalCli().path, args).then(
      ({ stdout }) => ({ ok: true, text: stdout }),
      (err: Error & { stderr?: string; stdout?: string }) => ({ ok: false, text: `${err.stderr}${err.stdout}` }),
    );
  }

  it('forged approvals are refused and cause no Defender call; a valid token approves', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    // Alice's request is proven too (a request token for the release's workflow id): four-eyes compares two proofs.
    const requestToken = await mintRequestToken({
      key,
      upn: 'alice@contoso.com',
      wid: `release-${machine.id}-${h.taskQueue}`,
    });
    const { handle, workflowId } = await h.start({ machineId: machine.id, requestToken });
    await h.waitForState(workflowId, 'awaiting-approval');
    const { runId } = await handle.describe();
    const mint = (r: Partial<Parameters<typeof mintApprovalToken>[0]> = {}) =>
      mintApprovalToken({ key, upn: 'bob@contoso.com', dec: 'approve', wid: workflowId, rid: runId, ...r });
    const before = h.sim.requests.filter((r) => r.machineId === machine.id).length;
    const forgeries: [unknown, RegExp][] = [
      [{ approver: 'bob@contoso.com' }, /needs a signed approval token/],
      [{ token: await mint({ key: rogue }) }, /not signed by a trusted key/],
      [{ token: await mint({ key: { ...rogue, kid: key.kid } }) }, /signature is not valid/],
      [{ token: await mint({ iatIn: -400, expIn: -100 }) }, /expired/],
      [{ token: await mint({ rid: 'another-run' }) }, /another run/],
      [{ token: await mint({ upn: 'alice@contoso.com' }) }, /four-eyes/],
    ];
    for (const [input, reason] of forgeries) {
      figures.forgeriesTried += 1;
      const { ok, text } = await approveWithCli(workflowId, input);
      if (ok) figures.forgeriesAccepted += 1;
      assert.equal(ok, false, `accepted: ${text}`);
      assert.match(text, reason);
    }
    figures.defenderCallsCaused = h.sim.requests.filter((r) => r.machineId === machine.id).length - before;
    assert.equal(figures.defenderCallsCaused, 0);
    assert.equal((await h.waitForState(workflowId, 'awaiting-approval')).approval.decision, null);

    const approved = await approveWithCli(workflowId, { token: await mint({ txt: 'EDR scan clean' }) });
    assert.ok(approved.ok, approved.text);
    const result = await handle.result();
    assert.deepEqual([result.outcome, result.approvedBy], ['released', 'bob@contoso.com']);
    assert.equal(h.unisolatePosts(machine.id), 1);
  });
});
