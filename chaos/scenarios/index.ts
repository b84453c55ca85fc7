// Every chaos scenario, in the order of the printed table. A static list (no directory scan) so the
// runner, the short test inside `npm test` and the type checker all see the same set.

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
];
