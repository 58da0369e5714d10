/**
 * The API fault matrix: each way Defender (or Entra) misbehaves, injected into the simulator, and the documented outcome
 * of the release it hits — with exactly one release action whenever the release goes through. Prints the matrix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FaultRule, MachineBehavior, SimMachine } from '../../simulator/index.js';
import { DEFAULT_APP } from '../../simulator/index.js';
import { startReleaseHarness, type ReleaseHarness } from '../helpers/release-harness.js';
import { clientFor } from '../helpers/simulator.js';

interface Scenario {
  name: string;
  behavior?: MachineBehavior;
  /** The machine as Defender describes it, where the answer's shape is the point. */
  machine?: { rbacGroupId?: string | number; rbacGroupName?: string };
  /** Faults for this machine's requests (or the token endpoint). */
  faults?: (machine: SimMachine) => FaultRule[];
  deadline?: string;
  /** Runs once the release is confirming (e.g. someone cancels the action at Defender). */
  whileConfirming?: (machine: SimMachine, h: ReleaseHarness) => Promise<void>;
  /** Before the release starts; it touches the whole tenant (tokens), so the scenario runs alone. */
  setup?: (h: ReleaseHarness) => void;
  expect: string;
  /** Unisolate actions the machine must end with. */
  actions: number;
  /** POSTs sent, where it matters: after a POST whose answer was lost the release finds its action, never re-posts. */
  posts?: number;
}

/** A fault without a machine to match hits every request of the tenant (its token endpoint, say). */
const touchesTenant = (rule: FaultRule) => rule.match?.machineId === undefined;

const SCENARIOS: Scenario[] = [
  {
    name: '429 storm with Retry-After',
    faults: (m) => [
      {
        match: { endpoint: 'listMachineActions', machineId: m.id },
        times: 4,
        fault: { kind: 'status', status: 429, retryAfter: 1 },
      },
    ],
    expect: 'released',
    actions: 1,
  },
  {
    name: '429 storm without Retry-After',
    faults: (m) => [
      {
        match: { endpoint: 'unisolateMachine', machineId: m.id },
        times: 3,
        fault: { kind: 'status', status: 429, retryAfter: null },
      },
    ],
    expect: 'released',
    actions: 1,
  },
  {
    name: '5xx burst before the release',
    faults: (m) => [
      { match: { endpoint: 'listMachineActions', machineId: m.id }, times: 3, fault: { kind: 'status', status: 503 } },
      { match: { endpoint: 'listMachineActions', machineId: m.id }, times: 2, fault: { kind: 'status', status: 500 } },
    ],
    expect: 'released',
    actions: 1,
  },
  {
    // One 5xx is enough: the release then lists, finds the action it created and never posts again.
    name: 'a 5xx answer to the POST, after it reached Defender',
    faults: (m) => [
      {
        match: { endpoint: 'unisolateMachine', machineId: m.id },
        times: 1,
        afterCommit: true,
        fault: { kind: 'status', status: 502 },
      },
    ],
    expect: 'released',
    actions: 1,
    posts: 1,
  },
  {
    name: 'answer slower than the request timeout, after the POST was accepted',
    faults: (m) => [
      {
        match: { endpoint: 'unisolateMachine', machineId: m.id },
        times: 1,
        afterCommit: true,
        fault: { kind: 'delay', ms: 3_000 },
      },
    ],
    expect: 'released',
    actions: 1,
    posts: 1,
  },
  {
    name: 'connection reset after the POST was accepted',
    faults: (m) => [
      {
        match: { endpoint: 'unisolateMachine', machineId: m.id },
        times: 1,
        afterCommit: true,
        fault: { kind: 'reset' },
      },
    ],
    expect: 'released',
    actions: 1,
    posts: 1,
  },
  {
    name: 'malformed JSON bodies',
    faults: (m) => [
      { match: { endpoint: 'listMachineActions', machineId: m.id }, times: 2, fault: { kind: 'malformed-json' } },
      {
        match: { endpoint: 'unisolateMachine', machineId: m.id },
        times: 1,
        afterCommit: true,
        fault: { kind: 'malformed-json' },
      },
    ],
    expect: 'released',
    actions: 1,
  },
  {
    name: 'non-JSON (HTML) error pages from a proxy',
    faults: (m) => [
      { match: { endpoint: 'listMachineActions', machineId: m.id }, times: 2, fault: { kind: 'html', status: 502 } },
    ],
    expect: 'released',
    actions: 1,
  },
  {
    name: 'token endpoint outage',
    setup: (h) => h.sim.revokeTokens(),
    faults: () => [{ match: { endpoint: 'token' }, times: 3, fault: { kind: 'status', status: 503 } }],
    expect: 'released',
    actions: 1,
  },
  {
    name: 'a machine whose rbacGroupId is a string (the documented type)',
    machine: { rbacGroupId: '140', rbacGroupName: 'Kiosks' },
    expect: 'released',
    actions: 1,
  },
  {
    name: 'a redirect from the token endpoint (never followed, the secret not re-sent)',
    setup: (h) => h.sim.revokeTokens(),
    faults: () => [{ match: { endpoint: 'token' }, times: 1, fault: { kind: 'status', status: 307 } }],
    expect: 'DefenderRequestFailed',
    actions: 0,
  },
  {
    name: 'issued tokens revoked (401 on the API, one refresh)',
    setup: (h) => h.sim.revokeTokens(),
    expect: 'released',
    actions: 1,
  },
  {
    name: 'action stuck Pending past the deadline',
    behavior: { stuckPending: true },
    deadline: '6s',
    expect: 'ReleaseDeadlineExceeded',
    actions: 1,
  },
  { name: 'action ends Failed', behavior: { unisolateOutcome: 'Failed' }, expect: 'MachineActionFailed', actions: 1 },
  {
    name: 'action ends TimeOut',
    behavior: { unisolateOutcome: 'TimeOut' },
    expect: 'MachineActionTimedOut',
    actions: 1,
  },
  {
    name: 'action Cancelled at Defender by someone else',
    behavior: { stuckPending: true },
    whileConfirming: async (m, h) => {
      const action = h.sim.machineActions(m.id).find((a) => a.type === 'Unisolate')!;
      await clientFor(h.sim).cancelMachineAction({ actionId: action.id, comment: 'cancelled by an analyst' });
    },
    expect: 'MachineActionCancelled',
    actions: 1,
  },
  {
    name: 'an isolate that completes after our release',
    behavior: { pendingMs: 1_500, inProgressMs: 200, isolateCompletesAfterRelease: true },
    whileConfirming: async (m, h) => {
      await clientFor(h.sim).isolateMachine({ machineId: m.id, comment: 'late isolate', isolationType: 'Full' });
    },
    expect: 'ReisolatedAfterRelease',
    actions: 1,
  },
];

describe('API fault matrix', () => {
  let h: ReleaseHarness;
  const rows: string[] = [];
  before(async () => {
    h = await startReleaseHarness('fault-matrix', {}, undefined, { rateLimitFallbackMs: 1_000 });
  });
  after(async () => {
    console.log(`fault-matrix (${rows.length} faults):\n${rows.join('\n')}`);
    await h?.stop();
  });

  async function outcomeOf(handle: WorkflowHandle): Promise<string> {
    try {
      return (await handle.result()).outcome as string;
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
      return err.cause.type ?? 'unknown';
    }
  }

  // Scenarios whose faults hit one machine run side by side; those that touch the tenant's tokens run alone after.
  const alone = (s: Scenario) =>
    s.setup !== undefined || (s.faults?.({ id: '' } as SimMachine) ?? []).some(touchesTenant);
  describe('faults of one machine, side by side', { concurrency: true }, () => {
    for (const s of SCENARIOS.filter((s) => !alone(s))) it(`${s.name} → ${s.expect}`, () => run(s));
  });
  describe("faults of the tenant's tokens, one at a time", () => {
    for (const s of SCENARIOS.filter(alone)) it(`${s.name} → ${s.expect}`, () => run(s));
  });

  async function run(s: Scenario): Promise<void> {
    const machine = h.sim.addMachine({ isolated: true, behavior: s.behavior, ...s.machine });
    s.setup?.(h);
    const faults = (s.faults?.(machine) ?? []).map((rule) => ({ rule, id: h.sim.addFault(rule) }));
    const faultIds = faults.map((f) => f.id);
    try {
      const { handle, workflowId } = await h.start({
        machineId: machine.id,
        approval: { preApprovedBy: 'bob@contoso.com', reason: 'CHG-42' },
        ...(s.deadline ? { deadline: s.deadline } : {}),
      });
      if (s.whileConfirming) {
        await h.waitForState(workflowId, 'confirming');
        await s.whileConfirming(machine, h);
      }
      const outcome = await outcomeOf(handle);
      const actions = h.sim.machineActions(machine.id).filter((a) => a.type === 'Unisolate').length;
      rows.push(`  ${s.name.padEnd(70)} ${outcome.padEnd(26)} ${actions} release action(s)`);
      assert.equal(outcome, s.expect);
      assert.equal(actions, s.actions, 'release actions at Defender');
      if (s.posts !== undefined) assert.equal(h.unisolatePosts(machine.id), s.posts, 'POSTs sent');
      // A scenario whose faults never fired would pass without testing anything.
      for (const { rule, id } of faults) {
        assert.equal(h.sim.faultHits(id), rule.times, `hits of the ${rule.match?.endpoint} ${rule.fault.kind} fault`);
      }
    } finally {
      for (const id of faultIds) h.sim.removeFault(id);
    }
  }

  it('a rotated client secret (the worker still has the old one) → DefenderRequestFailed, nothing sent', async () => {
    const machine = h.sim.addMachine({ isolated: true });
    const app = h.sim.apps.find((a) => a.clientId === DEFAULT_APP.clientId)!;
    const previous = app.clientSecret;
    (app as { clientSecret: string }).clientSecret = 'rotated-secret-the-worker-does-not-have';
    h.sim.revokeTokens();
    try {
      const { handle } = await h.start({
        machineId: machine.id,
        approval: { preApprovedBy: 'bob@contoso.com', reason: 'CHG-42' },
      });
      const outcome = await outcomeOf(handle);
      rows.push(
        `  ${'rotated client secret'.padEnd(70)} ${outcome.padEnd(26)} ${h.unisolatePosts(machine.id)} POST(s)`,
      );
      assert.equal(outcome, 'DefenderRequestFailed');
      assert.equal(h.unisolatePosts(machine.id), 0);
    } finally {
      (app as { clientSecret: string }).clientSecret = previous;
    }
  });
});
