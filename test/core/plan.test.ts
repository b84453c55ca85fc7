// Window planning (lambdas/core/plan.ts): which month windows one sync step fetches. Every expected value below
// was worked out by hand from the rules in the file's header, not by calling the planner.

import { describe, expect, it } from 'vitest';
import {
  fetchMovesCursor,
  monthEnd,
  monthStart,
  monthsBetween,
  type PlanInput,
  planSyncWindows,
} from '../../lambdas/core/plan.ts';

describe('planSyncWindows', () => {
  const cases: { name: string; input: PlanInput; windows: { month: string; from: string; to: string }[] }[] = [
    {
      name: 'a first back-fill starts on the first day and ends today, one window per calendar month',
      input: { today: '2026-03-10', lagDays: 3, firstDate: '2026-01-15' },
      windows: [
        { month: '2026-01', from: '2026-01-15', to: '2026-01-31' },
        { month: '2026-02', from: '2026-02-01', to: '2026-02-28' },
        { month: '2026-03', from: '2026-03-01', to: '2026-03-10' },
      ],
    },
    {
      name: 'a later run fetches the lag days again, as the whole month they fall in',
      input: { through: '2026-03-05', today: '2026-03-10', lagDays: 3, firstDate: '2026-01-15' },
      windows: [{ month: '2026-03', from: '2026-03-01', to: '2026-03-10' }],
    },
    {
      name: 'lag days that reach into the previous month fetch that month again too',
      input: { through: '2026-03-02', today: '2026-03-10', lagDays: 3, firstDate: '2026-01-15' },
      windows: [
        { month: '2026-02', from: '2026-02-01', to: '2026-02-28' },
        { month: '2026-03', from: '2026-03-01', to: '2026-03-10' },
      ],
    },
    {
      name: 'explicit --from/--to: the month of --from from its first day, up to --to (the cursor is ignored)',
      input: {
        through: '2026-03-09',
        today: '2026-03-10',
        lagDays: 3,
        firstDate: '2025-06-01',
        from: '2026-01-10',
        to: '2026-01-12',
      },
      windows: [{ month: '2026-01', from: '2026-01-01', to: '2026-01-12' }],
    },
    {
      name: '--from before the first known day moves the first day back to it',
      input: { today: '2025-01-03', lagDays: 3, firstDate: '2025-01-05', from: '2024-12-20' },
      windows: [
        { month: '2024-12', from: '2024-12-20', to: '2024-12-31' },
        { month: '2025-01', from: '2025-01-01', to: '2025-01-03' },
      ],
    },
    {
      name: '--to after today stops at today',
      input: { today: '2026-03-10', lagDays: 3, firstDate: '2026-01-01', from: '2026-03-01', to: '2026-04-30' },
      windows: [{ month: '2026-03', from: '2026-03-01', to: '2026-03-10' }],
    },
    {
      name: 'nothing to fetch when the start is after today',
      input: { through: '2026-03-20', today: '2026-03-10', lagDays: 3, firstDate: '2026-01-01' },
      windows: [],
    },
    {
      name: 'a month with failed days is fetched again whole, even before the first day',
      input: {
        through: '2026-03-05',
        today: '2026-03-10',
        lagDays: 3,
        firstDate: '2026-01-15',
        retryMonths: ['2026-01'],
      },
      windows: [
        { month: '2026-01', from: '2026-01-01', to: '2026-01-31' },
        { month: '2026-03', from: '2026-03-01', to: '2026-03-10' },
      ],
    },
    {
      name: 'a retry month after today is not planned',
      input: {
        through: '2026-03-05',
        today: '2026-03-10',
        lagDays: 3,
        firstDate: '2026-01-15',
        retryMonths: ['2026-04'],
      },
      windows: [{ month: '2026-03', from: '2026-03-01', to: '2026-03-10' }],
    },
    {
      name: 'a retry month inside the planned months is planned once',
      input: {
        through: '2026-03-02',
        today: '2026-03-10',
        lagDays: 3,
        firstDate: '2026-01-15',
        retryMonths: ['2026-02', '2026-02'],
      },
      windows: [
        { month: '2026-02', from: '2026-02-01', to: '2026-02-28' },
        { month: '2026-03', from: '2026-03-01', to: '2026-03-10' },
      ],
    },
    {
      name: 'February of a leap year ends on the 29th',
      input: { today: '2024-03-01', lagDays: 3, firstDate: '2024-02-10' },
      windows: [
        { month: '2024-02', from: '2024-02-10', to: '2024-02-29' },
        { month: '2024-03', from: '2024-03-01', to: '2024-03-01' },
      ],
    },
    {
      name: 'December rolls over into January of the next year',
      input: { today: '2026-01-02', lagDays: 3, firstDate: '2025-12-30' },
      windows: [
        { month: '2025-12', from: '2025-12-30', to: '2025-12-31' },
        { month: '2026-01', from: '2026-01-01', to: '2026-01-02' },
      ],
    },
    {
      name: 'no lag with the cursor at today still fetches today (its data is still coming in)',
      input: { through: '2026-03-10', today: '2026-03-10', lagDays: 0, firstDate: '2026-01-01' },
      windows: [{ month: '2026-03', from: '2026-03-01', to: '2026-03-10' }],
    },
  ];

  it.each(cases)('$name', ({ input, windows }) => {
    expect(planSyncWindows(input)).toEqual(windows);
  });
});

describe('monthsBetween', () => {
  it.each([
    { from: '2025-11-15', to: '2026-02-01', months: ['2025-11', '2025-12', '2026-01', '2026-02'] },
    { from: '2026-03-01', to: '2026-03-31', months: ['2026-03'] },
    { from: '2026-03-31', to: '2026-04-01', months: ['2026-03', '2026-04'] },
    { from: '2026-04-01', to: '2026-03-31', months: [] },
  ])('$from .. $to', ({ from, to, months }) => {
    expect(monthsBetween(from, to)).toEqual(months);
  });
});

describe('monthStart and monthEnd', () => {
  it.each([
    { month: '2024-02', start: '2024-02-01', end: '2024-02-29' },
    { month: '2023-02', start: '2023-02-01', end: '2023-02-28' },
    { month: '2026-04', start: '2026-04-01', end: '2026-04-30' },
    { month: '2025-12', start: '2025-12-01', end: '2025-12-31' },
  ])('$month', ({ month, start, end }) => {
    expect(monthStart(month)).toBe(start);
    expect(monthEnd(month)).toBe(end);
  });
});

describe('fetchMovesCursor', () => {
  it.each([
    {
      name: 'a plain first sync (no cursor, unbounded)',
      reached: undefined,
      from: '2026-01-01',
      bounded: false,
      moves: true,
    },
    { name: 'a bounded first sync (no cursor)', reached: undefined, from: '2026-01-10', bounded: true, moves: false },
    {
      name: 'a window starting on the first day not covered',
      reached: '2026-01-21',
      from: '2026-01-21',
      bounded: true,
      moves: true,
    },
    { name: 'a window overlapping the cursor', reached: '2026-01-21', from: '2026-01-01', bounded: true, moves: true },
    {
      name: 'a bounded window a day past the cursor',
      reached: '2026-01-21',
      from: '2026-01-22',
      bounded: true,
      moves: false,
    },
    {
      name: 'an open-ended --from past the cursor',
      reached: '2026-01-21',
      from: '2026-02-01',
      bounded: false,
      moves: false,
    },
    { name: 'workouts: a full listing', reached: 1_700_000_000, from: undefined, bounded: false, moves: true },
    {
      name: 'workouts: a bounded listing past the cursor',
      reached: 1_700_000_000,
      from: 1_700_086_400,
      bounded: true,
      moves: false,
    },
  ])('$name: $moves', ({ reached, from, bounded, moves }) => {
    expect(fetchMovesCursor<string | number>(reached, from, bounded)).toBe(moves);
  });
});
