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
    clock = 4;
    await slice.yieldIfDue();
    assert.equal(yields, 0);
    clock = 5;
    await slice.yieldIfDue();
    assert.equal(yields, 1);
    // The new slice started at 105, after the yield.
    clock = 109;
    await slice.yieldIfDue();
    assert.equal(yields, 1);
    clock = 110;
    await slice.yieldIfDue();
    assert.equal(yields, 2);
  });

  it('lets pending I/O callbacks run when it yields', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    await yieldToEventLoop();
    assert.equal(ran, true);
  });
});
