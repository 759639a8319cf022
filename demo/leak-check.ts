/** Invariant 4 for the demo itself: no key a simulator issued appears in what it printed. */
import { keyShapedStrings, type SimulatorBase } from '../local/vendors';
import type { LeakCheckFact } from './summary';

export function checkForLeakedKeys(
  printed: string,
  functionLog: readonly string[],
  simulators: readonly Pick<SimulatorBase, 'isIssuedKey'>[],
): LeakCheckFact {
  const candidates = keyShapedStrings(`${printed}\n${functionLog.join('\n')}`);
  const issued = candidates.filter((candidate) =>
    simulators.some((simulator) => simulator.isIssuedKey(candidate)),
  );
  return {
    scannedChars: printed.length,
    scannedFunctionLogLines: functionLog.length,
    keyShapedStrings: candidates.length,
    issuedKeysFound: issued.length,
  };
}
