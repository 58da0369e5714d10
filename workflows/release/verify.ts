import { ReleaseFailureType } from '../../contract/index.js';
import type { Confirmed } from './confirm.js';
import type { ReleaseTracker } from './release-tracker.js';

/** Step 6: an Isolate that succeeded after the release leaves the device isolated again (MS docs #5903). */
export function verify(release: ReleaseTracker, confirmed: Confirmed): void {
  const later = confirmed.laterIsolate;
  if (!later) return;
  release.end(
    'reisolated',
    ReleaseFailureType.ReisolatedAfterRelease,
    `machine action ${later.id} (Isolate) completed after the release; the device is isolated again`,
    later,
  );
}
