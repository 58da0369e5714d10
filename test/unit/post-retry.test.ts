/**
 * The release POST never posts blind on a retry: an attempt after the first (the worker died or the activity timed out
 * after Defender may have created the action) hands the decision back to the workflow, which lists before posting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createApiActivities } from '../../activities/index.js';
import type { PostedUnisolate } from '../../activities/release-calls.js';
import { DefenderFailureType } from '../../contract/index.js';
import type { DefenderSimulator } from '../../simulator/index.js';
import { clientFor, startSimulator } from '../helpers/simulator.js';

describe('postUnisolate on a retry', () => {
  let sim: DefenderSimulator;
  before(async () => {
    sim = await startSimulator({ rateLimits: false });
  });
  after(async () => {
    await sim?.stop();
  });

  const posts = (machineId: string) =>
    sim.requests.filter((r) => r.endpoint === 'unisolateMachine' && r.machineId === machineId).length;

  it('attempt 1 posts once', async () => {
    const machine = sim.addMachine({ isolated: true });
    const { postUnisolate } = createApiActivities({ defender: clientFor(sim) });
    const { action, watched }: PostedUnisolate = await new MockActivityEnvironment({ attempt: 1 }).run(postUnisolate, {
      machineId: machine.id,
      comment: 'clean [defender-isolation r-1 abcd1234]',
    });
    assert.equal(action.type, 'Unisolate');
    assert.equal(watched, false, 'not asked to register it');
    assert.equal(posts(machine.id), 1);
  });

  it('a registration with the watcher that fails never fails the POST (a retry could post twice)', async () => {
    const machine = sim.addMachine({ isolated: true });
    const { postUnisolate } = createApiActivities({ defender: clientFor(sim) });
    // A mock environment has no Temporal client: the registration fails.
    const { action, watched }: PostedUnisolate = await new MockActivityEnvironment({ attempt: 1 }).run(postUnisolate, {
      machineId: machine.id,
      comment: 'clean [defender-isolation r-3 abcd1234]',
      watch: { taskQueue: 'releases', tenant: null, subscriber: 'r-3', pollIntervalMs: 30_000 },
    });
    assert.deepEqual([action.type, watched], ['Unisolate', false], 'posted; the release registers it itself');
    assert.equal(posts(machine.id), 1);
  });

  it('attempt 2 refuses to post and says why, without calling Defender', async () => {
    const machine = sim.addMachine({ isolated: true });
    const { postUnisolate } = createApiActivities({ defender: clientFor(sim) });
    await assert.rejects(
      new MockActivityEnvironment({ attempt: 2 }).run(postUnisolate, {
        machineId: machine.id,
        comment: 'clean [defender-isolation r-2 abcd1234]',
      }),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, DefenderFailureType.PreviousAttemptUnknown);
        assert.equal(err.nonRetryable, false, 'the release lists it as non-retryable in its retry policy');
        return true;
      },
    );
    assert.equal(posts(machine.id), 0);
  });
});
