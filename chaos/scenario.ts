// The contract between the chaos runner (`npm run chaos`) and its scenarios. A scenario is one seeded run:
// it builds a fresh user on the simulator, syncs it through the real stand-ins while something goes wrong,
// then runs a clean sync and measures the lake against the simulator's ground truth.

import type { StandInEndpoints } from '../test/support/stand-ins.ts';

export type ScenarioGroup = 'api' | 'crash' | 'concurrency' | 'storage' | 'history';

/** What one seeded run found. Every row of the printed table sums these over the scenario's runs. */
export interface ScenarioOutcome {
  /** Rows the simulator's ground truth says the lake must hold (all data tables, the synced range). */
  expected: number;
  /** Rows found in the lake after the faulty run(s) and the healing run. */
  landed: number;
  /** Ground-truth rows missing from the lake (by primary key) after healing. */
  lost: number;
  /** Lake rows whose primary key appears more than once, plus rows not in the ground truth. */
  duplicated: number;
  /** Ledger entries still `failed` / `auth_failed` after the faulty run (before healing): what the user is told. */
  failedAfterFault: number;
  /** Ledger entries still `failed` / `auth_failed` after the healing run. */
  failedAfterHeal: number;
  /** lost === 0 && duplicated === 0 && failedAfterHeal === 0 (and any scenario-specific check passed). */
  healed: boolean;
  /** One line on anything notable (which step was killed, how many 429s were served...). */
  note?: string;
}

/** Shared by every run of one `npm run chaos` invocation. */
export interface ChaosEnv {
  endpoints: StandInEndpoints;
  /** A scratch folder the scenario may use (removed by the runner afterwards). */
  workDir: string;
}

export interface Scenario {
  /** Short, kebab-case, unique: the first column of the table, and `--only NAME`. */
  name: string;
  group: ScenarioGroup;
  /** One sentence for the README's Reliability section: what goes wrong. */
  description: string;
  /** Seeds per scenario in the full run (`npm run chaos`); the short run inside `npm test` uses one. */
  runs: number;
  run(seed: number, env: ChaosEnv): Promise<ScenarioOutcome>;
}
