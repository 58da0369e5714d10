import * as wf from '@temporalio/workflow';
import {
  MAX_BULK_TARGETS,
  ReleaseFailureType,
  type BulkReleaseRequest,
  type ValidatedBulkRequest,
} from '../../contract/index.js';
import { batchCalls, local } from './activities.js';
import type { Batch } from './batch.js';
import { isolated, readMachines, type MachineRead } from './check.js';
import { batchReview, wouldBe } from './review.js';

const PAGE_SIZE = 2_000;

/** The request, held to the schema the client applies: an invalid one ends the batch before any Defender call. */
export async function validateBatch(batch: Batch, input: BulkReleaseRequest): Promise<void> {
  try {
    const { approvalVerification, nudgeChannels, ...validated } = await local.validateBulkRequest({ request: input });
    batch.validated = validated;
    batch.nudgeChannels = nudgeChannels ?? [];
    batch.verification = approvalVerification;
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure ? err.cause : err;
    if (cause instanceof wf.ApplicationFailure && cause.type === ReleaseFailureType.InvalidInput) {
      batch.end('invalid-input', ReleaseFailureType.InvalidInput, cause.message);
    }
    throw err;
  }
}

/**
 * The targets: explicit ids as given, or what a selector matches through the API, limited to isolated machines (for
 * "isolated longer than", from the newest succeeded Isolate). Reads every candidate in batches and records the digest
 * of the targets an approver reviews. Returns what it read.
 */
export async function resolveTargets(batch: Batch): Promise<Map<string, MachineRead>> {
  const request = batch.request;
  batch.state = 'resolving';
  const candidates = request.machineIds ?? (await matchSelector(request));
  if (candidates.length > MAX_BULK_TARGETS) {
    const message = `selector matched ${candidates.length} machines, more than ${MAX_BULK_TARGETS}`;
    batch.end('invalid-input', ReleaseFailureType.InvalidInput, message);
  }
  batch.state = 'checking';
  const reads = await readMachines(batch, candidates);
  batch.targets = request.machineIds ? candidates : candidates.filter((id) => isTarget(request, reads.get(id)!));
  batch.digest = await local.digestTargets({ machineIds: batch.targets });
  batch.review = batchReview(batch.targets, reads);
  wf.log.info('Bulk release targets resolved', { count: batch.targets.length, digest: batch.digest });
  return reads;
}

/** A dry run's report: what would happen to each target. */
export function reportDryRun(batch: Batch, reads: Map<string, MachineRead>): void {
  for (const id of batch.targets) batch.outcomes[id] = wouldBe(reads.get(id));
  batch.state = 'dry-run';
}

function isTarget(request: ValidatedBulkRequest, read: MachineRead): boolean {
  if (!read.machine || !isolated(read)) return false;
  const minimum = request.selector!.isolatedLongerThanMs;
  const isolate = read.state!.newestSucceeded!;
  return minimum === null || Date.parse(isolate.lastUpdateAt ?? isolate.createdAt) <= Date.now() - minimum;
}

async function matchSelector(request: ValidatedBulkRequest): Promise<string[]> {
  const s = request.selector!;
  const calls = batchCalls(request.tenant);
  const ids = new Set<string>();
  for (let skip = 0; ; skip += PAGE_SIZE) {
    const page =
      s.machineTag || s.deviceGroup
        ? await calls.listMachinesPage({
            machineTag: s.machineTag,
            deviceGroup: s.deviceGroup,
            skip,
            pageSize: PAGE_SIZE,
          })
        : await calls.listIsolatedCandidatesPage({
            before: new Date(Date.now() - s.isolatedLongerThanMs!).toISOString(),
            skip,
            pageSize: PAGE_SIZE,
          });
    page.machineIds.forEach((id) => ids.add(id));
    if (!page.pageFull || ids.size > MAX_BULK_TARGETS) break;
  }
  return [...ids].sort();
}
