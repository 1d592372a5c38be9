/**
 * `checkFlow` over a big flow a slice of references at a time, yielding to the event loop between slices,
 * so that checking a flow on the editor's thread never holds it long, whatever the flow's size. The problems
 * are the very ones `checkFlow` gives for the whole analysis, in the same order.
 */
import { checkFlow, type VisibleLookup } from '../../core/checks';
import type { FlowAnalysis } from '../../core/flow';
import type { Problem, Range } from '../../core/types';

/** Well under a millisecond's checking on an idle machine. */
const REFERENCES_PER_SLICE = 200;

export async function checkFlowInSlices(
  file: string,
  analysis: FlowAnalysis,
  lookup: VisibleLookup,
  yieldToEventLoop: () => Promise<void>,
): Promise<Problem[]> {
  const { references } = analysis;
  if (references.length <= REFERENCES_PER_SLICE) return checkFlow(file, analysis, lookup);
  // The first slice carries what is not a reference (YAML errors, notices, Pebble errors, credentials written in clear).
  const problems = checkFlow(file, { ...analysis, references: references.slice(0, REFERENCES_PER_SLICE) }, lookup);
  const referencesOnly: FlowAnalysis = { ...analysis, errors: [], notices: [], pebbleErrors: [], hardcoded: [] };
  for (let start = REFERENCES_PER_SLICE; start < references.length; start += REFERENCES_PER_SLICE) {
    await yieldToEventLoop();
    const slice = references.slice(start, start + REFERENCES_PER_SLICE);
    for (const problem of checkFlow(file, { ...referencesOnly, references: slice }, lookup)) problems.push(problem);
  }
  return problems.sort(byPosition);
}

function byPosition(a: Problem, b: Problem): number {
  return comparePositions(a.range.start, b.range.start) || comparePositions(a.range.end, b.range.end);
}

function comparePositions(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}
