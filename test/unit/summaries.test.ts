/**
 * What workflows get of Defender's answers: bounded, and a device name (which the device may choose) reduced to what a
 * host name is made of, so that it cannot forge markdown in the Temporal UI or lines in a log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { machineSchema } from '../../activities/defender/schemas.js';
import { summarizeAction, summarizeMachine } from '../../activities/summaries.js';

describe('summaries of Defender answers', () => {
  it('a device name with markdown, controls or a huge length is reduced to host-name characters', () => {
    const machine = summarizeMachine({
      id: 'A'.repeat(40),
      computerDnsName: `pc-07.contoso.com](https://evil.example)\n**approved**${'x'.repeat(1_000)}`,
      healthStatus: 'Active',
      osPlatform: 'Windows11',
    } as never);
    assert.equal(machine.id, 'a'.repeat(40));
    assert.ok(machine.computerDnsName!.startsWith('pc-07.contoso.com??https???evil.example????approved??'));
    assert.ok(!/[[\]()*\n]/.test(machine.computerDnsName!));
    assert.equal(machine.computerDnsName!.length, 255);
    assert.equal(
      summarizeMachine({ id: 'b'.repeat(40), computerDnsName: 'büro-pc.contoso.de' } as never).computerDnsName,
      'büro-pc.contoso.de',
    );
  });

  it("an action's requestor and comment are bounded and lose their controls and tokens", () => {
    const action = summarizeAction({
      id: '11111111-1111-1111-1111-111111111111',
      type: 'Unisolate',
      status: 'Pending',
      requestor: `someone\u001b[2J${'y'.repeat(1_000)}`,
      requestorComment: `Bearer ${'t'.repeat(40)} released`,
      creationDateTimeUtc: '2026-12-02T05:00:00.1234567Z',
    } as never);
    assert.ok(action.requestor!.length <= 257 && !action.requestor!.includes('\u001b'));
    assert.equal(action.requestorComment, 'Bearer [redacted] released');
  });

  it("a device's health is an open enum, bounded; a last seen that is no timestamp, or missing, reads as unknown", () => {
    const read = (answer: object) => summarizeMachine(machineSchema.parse({ id: 'c'.repeat(40), ...answer }));
    const odd = read({ healthStatus: `FutureState${'z'.repeat(500)}`, lastSeen: '<img src=x onerror=alert(1)>' });
    assert.ok(odd.healthStatus!.startsWith('FutureState') && odd.healthStatus!.length <= 51);
    assert.equal(odd.lastSeen, null);
    const real = read({ healthStatus: 'ImpairedCommunication', lastSeen: '2018-12-04T12:43:57.2011911Z' });
    assert.deepEqual([real.healthStatus, real.lastSeen], ['ImpairedCommunication', '2018-12-04T12:43:57.2011911Z']);
    const drifted = read({ healthStatus: 7, lastSeen: null });
    assert.deepEqual([drifted.healthStatus, drifted.lastSeen], [null, null]);
    assert.deepEqual([read({}).healthStatus, read({}).lastSeen], [null, null]);
  });
});
