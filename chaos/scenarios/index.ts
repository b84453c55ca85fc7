// Every chaos scenario, in the order of the printed table. A static list (no directory scan) so the
// runner, the short test inside `npm test` and the type checker all see the same set.

import { HISTORY_FAMILIES } from '../histories/families.ts';
import { historyScenario } from '../histories/history.ts';
import { HISTORY_TODAY } from '../histories/vendor.ts';
import type { Scenario } from '../scenario.ts';
import { apiFaultScenarios } from './api-faults.ts';
import { concurrencyScenarios } from './concurrency.ts';
import { crashScenarios } from './crash.ts';
import { storageFaultScenarios } from './storage-faults.ts';

export const SCENARIOS: readonly Scenario[] = [
  ...apiFaultScenarios,
  ...storageFaultScenarios,
  ...crashScenarios,
  ...concurrencyScenarios,
  // Model-based histories (chaos/histories/): random sequences of commands, healed, then checked.
  ...HISTORY_FAMILIES.map((family) => historyScenario(family, HISTORY_TODAY)),
];
