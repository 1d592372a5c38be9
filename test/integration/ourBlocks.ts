/**
 * How long our code held the extension host's thread at a stretch, from a CPU profile of that very thread
 * (node:inspector, sampling every PROFILE_INTERVAL_US). A sample is ours when any frame of its stack is in the
 * extension's own bundles (dist/): our handlers, providers and promise continuations, with everything they call
 * synchronously (VS Code's API included). A garbage-collection sample between two of ours counts as ours (our
 * allocations caused it); VS Code's own work (document sync, messages from the workbench) and other extensions
 * break a block. The event-loop delay histogram beside it measures the whole thread, whoever blocks it.
 */
import * as inspector from 'node:inspector';

const PROFILE_INTERVAL_US = 200;
/**
 * A thread that runs is sampled every PROFILE_INTERVAL_US; a gap much longer than that between two samples is time
 * the thread (or the profiler's own thread) was not on a CPU: the machine's load, not work.
 */
const MAX_GAP_MS = 1;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface OurBlock {
  /** Wall-clock length, from its first sample to the first sample that is not ours. */
  ms: number;
  /** The same with every gap between two samples counted at most MAX_GAP_MS: a longer gap is the thread off the CPU. */
  onCpuMs: number;
  /** Our outermost function of the block's longest-running stack, `name (file:line)`. */
  entry: string;
  /** Our innermost function sampled most often in the block. */
  hottest: string;
}

export interface OurBlocks {
  /** The longest stretch our code held the thread, wall clock (time the OS gave to other processes included). */
  maxMs: number;
  /** The longest stretch counting only time on the CPU (see OurBlock.onCpuMs): what load does not inflate. */
  maxOnCpuMs: number;
  /** Stretches longer than 16 ms (one frame at 60 Hz). */
  over16ms: number;
  /** All our time on the thread over the span. */
  totalMs: number;
  spanMs: number;
  longest: OurBlock[];
  samplingIntervalUs: number;
}

export class ThreadProfiler {
  private readonly session = new inspector.Session();

  private post<T>(method: string, params?: object): Promise<T> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
    );
  }

  async start(): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
    await this.post('Profiler.start');
  }

  async stop(): Promise<CpuProfile> {
    const { profile } = await this.post<{ profile: CpuProfile }>('Profiler.stop');
    await this.post('Profiler.disable');
    this.session.disconnect();
    return profile;
  }
}

const GC = '(garbage collector)';

/** `isOurs(url)`: the script is one of the extension's bundles. */
export function ourBlocks(profile: CpuProfile, isOurs: (url: string) => boolean): OurBlocks {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // For each node: our outermost and innermost frames on its stack (undefined when the stack has none).
  const outer = new Map<number, ProfileNode | undefined>();
  const inner = new Map<number, ProfileNode | undefined>();
  const resolve = (id: number): void => {
    if (outer.has(id)) return;
    const node = byId.get(id)!;
    const up = parent.get(id);
    if (up !== undefined) resolve(up);
    const mine = isOurs(node.callFrame.url);
    const parentOuter = up === undefined ? undefined : outer.get(up);
    outer.set(id, parentOuter ?? (mine ? node : undefined));
    inner.set(id, mine ? node : up === undefined ? undefined : inner.get(up));
  };
  for (const node of profile.nodes) resolve(node.id);

  // Sample i covers [time[i], time[i + 1]).
  const times: number[] = [];
  let clock = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((clock += delta));
  times.push(profile.endTime);

  const blocks: OurBlock[] = [];
  let totalUs = 0;
  let first = -1;
  let lastOurs = -1;
  const close = (): void => {
    if (first < 0) return;
    const ms = (times[lastOurs + 1] - times[first]) / 1000;
    let onCpuMs = 0;
    for (let index = first; index <= lastOurs; index++) onCpuMs += Math.min(MAX_GAP_MS, (times[index + 1] - times[index]) / 1000);
    blocks.push({ ms, onCpuMs, ...describe(first, lastOurs) });
    first = -1;
  };
  const describe = (from: number, to: number): { entry: string; hottest: string } => {
    const entries = new Map<string, number>();
    const hot = new Map<string, number>();
    for (let index = from; index <= to; index++) {
      const id = profile.samples[index];
      const o = outer.get(id);
      const i = inner.get(id);
      if (o) entries.set(frame(o), (entries.get(frame(o)) ?? 0) + 1);
      if (i) hot.set(frame(i), (hot.get(frame(i)) ?? 0) + 1);
    }
    const top = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    return { entry: top(entries), hottest: top(hot) };
  };
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index];
    const ours = outer.get(id) !== undefined;
    const gc = byId.get(id)?.callFrame.functionName === GC;
    if (ours) {
      totalUs += times[index + 1] - times[index];
      if (first < 0) first = index;
      lastOurs = index;
    } else if (!(gc && first >= 0)) close();
  }
  close();
  blocks.sort((a, b) => b.ms - a.ms);
  const round = (ms: number) => Number(ms.toFixed(2));
  return {
    maxMs: round(blocks[0]?.ms ?? 0),
    maxOnCpuMs: round(Math.max(0, ...blocks.map((block) => block.onCpuMs))),
    over16ms: blocks.filter((block) => block.ms > 16).length,
    totalMs: round(totalUs / 1000),
    spanMs: round((profile.endTime - profile.startTime) / 1000),
    longest: blocks.slice(0, 5).map((block) => ({ ...block, ms: round(block.ms), onCpuMs: round(block.onCpuMs) })),
    samplingIntervalUs: PROFILE_INTERVAL_US,
  };
}

function frame(node: ProfileNode): string {
  const file = node.callFrame.url.split('/').pop();
  return `${node.callFrame.functionName || '(anonymous)'} (${file}:${node.callFrame.lineNumber + 1}:${node.callFrame.columnNumber + 1})`;
}
