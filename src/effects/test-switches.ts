/**
 * Deliberate breakages, for tests only: each switch turns off one safety step so a test can
 * prove the suites catch its absence. All are off in every real build; nothing outside
 * `test/` sets them.
 */
export interface TestSwitches {
  /** The local store reports a create-only put done without fsyncing the file. */
  ackBeforeFsync: boolean;
  /** The local store skips the directory fsync after linking or renaming. */
  skipDirFsync: boolean;
  /** Replay numbers the next WAL file from the last good file, not above a quarantined one. */
  keepSequenceAfterQuarantine: boolean;
  /** A conflicting WAL put is taken as our own without comparing put ids. */
  skipPutIdCheck: boolean;
  /** The WAL acknowledges without re-checking its writer epoch after the put. */
  skipEpochRecheck: boolean;
}

export const testSwitches: TestSwitches = {
  ackBeforeFsync: false,
  skipDirFsync: false,
  keepSequenceAfterQuarantine: false,
  skipPutIdCheck: false,
  skipEpochRecheck: false,
};

/** Runs `fn` with one switch on, restoring it afterwards. */
export async function withTestSwitch<T>(name: keyof TestSwitches, fn: () => Promise<T>): Promise<T> {
  const before = testSwitches[name];
  testSwitches[name] = true;
  try {
    return await fn();
  } finally {
    testSwitches[name] = before;
  }
}
