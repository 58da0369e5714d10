import {
  BATCH_REVIEW_SHOWN,
  type BatchReview,
  type BatchReviewTarget,
  type MachineOutcome,
} from '../../contract/index.js';
import { needsRelease, type MachineRead } from './check.js';

/** What would happen to one target, from the batch's read of it: a dry run's answer, and what an approver reviews. */
export function wouldBe(read: MachineRead | undefined): MachineOutcome {
  if (!read?.machine) return 'not-found';
  return needsRelease(read) ? 'would-release' : 'already-released';
}

/**
 * The batch's review: every target counted by what would happen to it, the first few listed with their host name and
 * health, read from what the batch already read (no Defender call, no history event).
 */
export function batchReview(targets: string[], reads: Map<string, MachineRead>): BatchReview {
  const counts: Record<string, number> = {};
  for (const id of targets) {
    const outcome = wouldBe(reads.get(id));
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return { shown: targets.slice(0, BATCH_REVIEW_SHOWN).map((id) => reviewTarget(id, reads.get(id))), wouldBe: counts };
}

function reviewTarget(machineId: string, read: MachineRead | undefined): BatchReviewTarget {
  const machine = read?.machine ?? null;
  return {
    machineId,
    computerDnsName: machine?.computerDnsName ?? null,
    wouldBe: wouldBe(read),
    device: machine ? { healthStatus: machine.healthStatus, lastSeen: machine.lastSeen ?? null } : null,
  };
}
