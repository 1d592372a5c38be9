/**
 * Warms a fresh thread's flow analysis up before real work arrives: the analyses of a cold parser run in
 * V8's slow tiers (a file then takes a few milliseconds, well under one once warm). Nothing is kept: only
 * the compiled code remains. Each step is one analysis, then a yield, so a request is never held longer.
 */
import { analyseText } from './analysisProtocol';

/** Enough steps to reach the optimising compiler, few enough to cost a second worker nothing noticeable. */
const WARM_UP_STEPS = 60;
const WARM_UP_BUDGET_MS = 600;

const TASK_TEMPLATE = (index: number) => [
  `  - id: step_${index}`,
  '    type: io.kestra.plugin.scripts.shell.Commands',
  `    description: "Runs {{ inputs.name | default('step') }} with {{ secret('SAMPLE_KEY_${index}') }}"`,
  '    env:',
  `      TOKEN: "{{ secret('SAMPLE_JSON', subkey='token') }}"`,
  `      USER: '{{ secret("SAMPLE_USER") | trim }}'`,
  '    commands:',
  `      - echo "{{ outputs.previous.value ?? 'none' }} {% if vars.flag %}{{ vars.flag }}{% endif %}"`,
  '    retry:',
  '      type: constant',
  '      interval: PT1M',
  '      maxAttempt: 3',
];

/** A flow with the shapes real ones have: tasks, Pebble expressions and tags, secret references with subkeys. */
export const SAMPLE_FLOW = [
  'id: warm_up',
  'namespace: company.team',
  'labels:',
  '  env: dev',
  'inputs:',
  '  - id: name',
  '    type: STRING',
  'variables:',
  '  flag: "{{ secret(\'SAMPLE_FLAG\') }}"',
  'tasks:',
  ...Array.from({ length: 8 }, (_, index) => TASK_TEMPLATE(index)).flat(),
  'triggers:',
  '  - id: daily',
  '    type: io.kestra.plugin.core.trigger.Schedule',
  '    cron: "0 9 * * *"',
  '',
].join('\n');

/** Analyses the sample flow step by step until `stop()` is true, the steps are done or the budget is spent. */
export function warmUpAnalysis(stop: () => boolean, steps = WARM_UP_STEPS, budgetMs = WARM_UP_BUDGET_MS): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = 0;
    const step = () => {
      if (stop() || done >= steps || performance.now() - started > budgetMs) {
        resolve(done);
        return;
      }
      analyseText(SAMPLE_FLOW);
      done++;
      setImmediate(step);
    };
    setImmediate(step);
  });
}
