/**
 * `checkFlow` over a big flow a few references at a time, yielding to the event loop once a slice has taken
 * SLICE_MS, so that checking a flow on the editor's thread never holds it long, whatever the flow's size and
 * however cold the code still is (the first big flow of a session runs in V8's slow tiers, where a fixed count
 * of 200 references took 21 ms). The problems are the very ones `checkFlow` gives for the whole analysis, in
 * the same order.
 */
import { checkFlow, type VisibleLookup } from '../../core/checks';
import type { FlowAnalysis } from '../../core/flow';
import type { Problem, Range } from '../../core/types';
import { TimeSlice } from './timeSlice';

/** References checked between two looks at the clock: well under a millisecond, even cold. */
const REFERENCES_PER_STEP = 25;
/** Checking yields once it has run this long. */
const SLICE_MS = 4;

export async function checkFlowInSlices(
  file: string,
  analysis: FlowAnalysis,
  lookup: VisibleLookup,
  yieldToEventLoop: () => Promise<void>,
  now: () => number = () => performance.now(),
): Promise<Problem[]> {
  const { references } = analysis;
  if (references.length <= REFERENCES_PER_STEP) return checkFlow(file, analysis, lookup);
  const slice = new TimeSlice(SLICE_MS, yieldToEventLoop, now);
  // The first step carries what is not a reference (YAML errors, notices, Pebble errors, credentials written in clear).
  const problems = checkFlow(file, { ...analysis, references: references.slice(0, REFERENCES_PER_STEP) }, lookup);
  const referencesOnly: FlowAnalysis = { ...analysis, errors: [], notices: [], pebbleErrors: [], hardcoded: [] };
  for (let start = REFERENCES_PER_STEP; start < references.length; start += REFERENCES_PER_STEP) {
    await slice.yieldIfDue();
    const step = references.slice(start, start + REFERENCES_PER_STEP);
    for (const problem of checkFlow(file, { ...referencesOnly, references: step }, lookup)) problems.push(problem);
  }
  return problems.sort(byPosition);
}

function byPosition(a: Problem, b: Problem): number {
  return comparePositions(a.range.start, b.range.start) || comparePositions(a.range.end, b.range.end);
}

function comparePositions(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}
