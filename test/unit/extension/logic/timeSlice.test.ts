/** Work on the editor's thread yields once a slice has run its time, and only then. */
import { strict as assert } from 'node:assert';
import { TimeSlice, yieldToEventLoop } from '../../../../src/extension/logic/timeSlice';

describe('TimeSlice', () => {
  it('yields once the budget is spent, then starts a new slice from after the yield', async () => {
    let clock = 0;
    let yields = 0;
    const slice = new TimeSlice(
      5,
      async () => {
        yields++;
        clock += 100;
      },
      () => clock,
    );
    // [clock before the call, yields after it]: the new slice starts at 105, after the first yield.
    const steps: [number, number][] = [
      [4, 0],
      [5, 1],
      [109, 1],
      [110, 2],
    ];
    for (const [at, expected] of steps) {
      clock = at;
      await slice.yieldIfDue();
      assert.equal(yields, expected, `at ${at}`);
    }
  });

  it('lets pending I/O callbacks run when it yields', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    await yieldToEventLoop();
    assert.equal(ran, true);
  });
});
